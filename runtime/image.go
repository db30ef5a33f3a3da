package runtime

// Images: a runtime bundle from an OCI image already on disk, as containerd,
// podman and umoci make one; no registry is ever contacted.
//
// Content from an image is hostile until verified. The library reads OCI
// layouts itself, every file beneath the layout dir, and docker archives
// through go-containerregistry; either way each blob is verified against
// its digest as it is read (image_verify.go) and an image for another
// platform is refused. umoci writes each layer: its TarExtractor is what
// `umoci unpack` runs, handling whiteouts, opaque dirs, owners, modes,
// xattrs, hard links, symlinks and device nodes, resolving every path
// inside the rootfs (securejoin); its config conversion (image-spec's
// conversion rules) turns the image config into the runtime-spec config.
// The checks here on top (checkEntry) turn an entry reaching out of the
// rootfs, or an invalid whiteout, into an error instead of a confined
// write. Bundles and the layer cache are 0700, overlays nosuid,nodev, and
// the user lookup reads only regular files beneath the rootfs.

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ImageOptions tune BundleFromImage. The zero value runs the image's own
// entrypoint and command with its env, unpacked into the bundle.
type ImageOptions struct {
	// Args replace the image's entrypoint and command when not empty
	// (the whole command line); it excludes Cmd and Entrypoint.
	Args []string
	// Cmd replaces the image's command when not empty, as the arguments
	// of `docker run IMAGE ARGS...` do; the entrypoint stays.
	Cmd []string
	// Entrypoint replaces the image's entrypoint when not nil; an empty,
	// non-nil one clears it (`docker run --entrypoint ""`).
	Entrypoint []string
	// Platform picks the image of an index: "linux/ARCH[/VARIANT]"; ""
	// is the host's. An image for another platform is refused.
	Platform string
	// Bundle shapes the config as it does BundleInitWith's: limits, a
	// user namespace (the image's files are then owned by the ids they
	// map to: unpacked so, and cached apart per mapping), a hardened
	// profile, tmpfs dirs. Its Terminal is or-ed with Terminal.
	Bundle BundleOptions
	// Env entries ("NAME=value") are set over the image's env.
	Env []string
	// CacheDir, when set, keeps each unpacked layer there by digest and
	// mounts the bundle's rootfs as an overlay of them.
	CacheDir string
	// Terminal sets process.terminal.
	Terminal bool
	// MaxBytes bounds the bytes the layers may write; 0 means the free
	// space of the file system they are written to.
	MaxBytes int64
}

// BundleFromImage makes the runtime bundle dir from the image ref (see
// openImage): dir/rootfs holding the image's layers, dir/config.json from
// its config with opts' overrides. Every blob is verified against its
// digest (see image_verify.go). dir, mode 0700, must be missing or an
// empty directory; on any failure nothing of what this call made is left.
// A bundle made here is removed with BundleRemove. Root only: unpacking
// keeps the image's owners and device nodes, and the cache mounts an
// overlay.
func BundleFromImage(dir, ref string, opts ImageOptions) (err error) {
	if os.Geteuid() != 0 {
		return wrapf(ErrState, "image: unpacking an image needs root (owners, device nodes, overlay mounts)")
	}
	if err := checkImageOptions(opts); err != nil {
		return err
	}
	claim, err := claimBundleDir(dir)
	if err != nil {
		return err
	}
	abs := claim.abs
	rootfs := filepath.Join(abs, "rootfs")
	var cache *layerCache
	var rec *bundleRecord
	defer func() {
		if err != nil {
			undoBundle(claim, rootfs, cache, rec)
		}
		if cache != nil {
			cache.close()
		}
	}()
	budgetDir := abs
	if opts.CacheDir != "" {
		if cache, err = openCache(opts.CacheDir); err != nil {
			return err
		}
		budgetDir = cache.dir
	}
	budget, err := newBudget(budgetDir, opts.MaxBytes)
	if err != nil {
		return err
	}
	ids, err := imageIDMap(opts.Bundle)
	if err != nil {
		return err
	}
	plat, err := parsePlatform(opts.Platform)
	if err != nil {
		return err
	}
	src, err := openImage(ref, abs, plat, budget)
	if err != nil {
		return err
	}
	defer src.close()
	if rec, err = newRecord(abs); err != nil {
		return err
	}
	rec.Image, rec.Digest = ref, src.id.String()
	if cache != nil {
		rec.Cache = cache.dir
	}
	// The marker first: a crash from here on leaves a bundle
	// BundleRemove takes.
	if err := writeRecord(filepath.Join(abs, imageMarker), rec); err != nil {
		return err
	}
	if cache != nil {
		err = unpackCached(src, cache, rec, ids, budget)
	} else {
		err = unpackInto(src, rootfs, rec, ids, budget)
	}
	if err != nil {
		return err
	}
	if err := ids.own(abs); err != nil {
		return err
	}
	spec, err := imageSpec(src, abs, opts)
	if err != nil {
		return err
	}
	return writeConfig(filepath.Join(abs, "config.json"), spec)
}

// checkImageOptions refuses malformed overrides before anything is made.
func checkImageOptions(opts ImageOptions) error {
	for _, e := range opts.Env {
		if i := strings.IndexByte(e, '='); i <= 0 {
			return wrapf(ErrInvalid, "image: env entry %q is not NAME=value", e)
		}
	}
	if opts.MaxBytes < 0 {
		return wrapf(ErrInvalid, "image: max_bytes is negative")
	}
	if len(opts.Args) > 0 && (len(opts.Cmd) > 0 || opts.Entrypoint != nil) {
		return wrapf(ErrInvalid, "image: args replace the whole command; give them or cmd and entrypoint, not both")
	}
	if opts.CacheDir != "" {
		return checkCacheDir(opts.CacheDir)
	}
	return nil
}

// bundleClaim is the bundle dir a call works in: made by it, or an empty
// one it was given, whose mode it restores on failure.
type bundleClaim struct {
	abs      string
	created  bool
	mode     os.FileMode
	uid, gid int
}

// claimBundleDir makes dir, or takes an existing empty one, mode 0700
// either way: no other user reaches the image's files through it.
func claimBundleDir(dir string) (*bundleClaim, error) {
	if dir == "" {
		return nil, wrapf(ErrInvalid, "image: bundle_dir is empty")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, wrapf(ErrInvalid, "image: bundle_dir %q: %v", dir, err)
	}
	c := &bundleClaim{abs: abs}
	err = os.Mkdir(abs, 0o700)
	if err == nil {
		c.created = true
		if err := os.Chmod(abs, 0o700); err != nil {
			os.Remove(abs)
			return nil, sysErr("image: bundle_dir", err)
		}
		return c, nil
	}
	if !errors.Is(err, os.ErrExist) {
		if errors.Is(err, os.ErrNotExist) {
			return nil, wrapf(ErrInvalid, "image: bundle_dir %q: its parent does not exist", dir)
		}
		return nil, sysErr("image: bundle_dir", err)
	}
	fi, err := os.Lstat(abs)
	if err != nil || !fi.IsDir() {
		return nil, wrapf(ErrInvalid, "image: bundle_dir %q is not a directory", dir)
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil, wrapf(ErrInvalid, "image: bundle_dir %q: %v", dir, errors.Unwrap(err))
	}
	if len(entries) > 0 {
		return nil, wrapf(ErrExists, "image: bundle_dir %q is not empty", dir)
	}
	c.mode = fi.Mode().Perm()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		c.uid, c.gid = int(st.Uid), int(st.Gid)
	}
	if err := os.Chmod(abs, 0o700); err != nil {
		return nil, sysErr("image: bundle_dir", err)
	}
	return c, nil
}

// undoBundle removes what a failed BundleFromImage made: the rootfs
// overlay, the dir's content (or the dir it made) and its cache reference.
func undoBundle(c *bundleClaim, rootfs string, cache *layerCache, rec *bundleRecord) {
	if unmountRootfs(rootfs) != nil {
		return // never remove through a mount still there
	}
	if c.created {
		os.RemoveAll(c.abs)
	} else {
		entries, _ := os.ReadDir(c.abs)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(c.abs, e.Name()))
		}
		os.Lchown(c.abs, c.uid, c.gid)
		os.Chmod(c.abs, c.mode)
	}
	if cache != nil && rec != nil {
		os.Remove(cache.refPath(rec.Token))
	}
}

// unpackInto writes every layer, in order, into rootfs.
func unpackInto(src *imageSource, rootfs string, rec *bundleRecord, ids *idMap, budget *unpackBudget) error {
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		return sysErr("image: rootfs", err)
	}
	for _, l := range src.layers {
		if err := unpackLayer(rootfs, l, ids, budget); err != nil {
			return err
		}
	}
	return nil
}

// unpackCached makes sure every layer is in the cache, records the bundle
// there (its reference, naming the layers, keeps them from prune) and
// mounts the layers' overlay at rootfs, with the bundle's own upper and
// work dirs.
func unpackCached(src *imageSource, cache *layerCache, rec *bundleRecord, ids *idMap, budget *unpackBudget) error {
	layers, err := cache.layers(src, ids, budget)
	if err != nil {
		return err
	}
	rec.Layers = layers
	if err := cache.addRef(rec); err != nil {
		return err
	}
	rootfs := filepath.Join(rec.Bundle, "rootfs")
	upper, work := filepath.Join(rec.Bundle, "upper"), filepath.Join(rec.Bundle, "work")
	for _, d := range []string{upper, work, rootfs} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return sysErr("image: bundle", err)
		}
	}
	return mountOverlay(rootfs, layers, upper, work)
}

// writeConfig writes v, indented, to the new file path.
func writeConfig(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return sysErr("image: "+path, err)
	}
	return createFile(path, append(data, '\n'))
}
