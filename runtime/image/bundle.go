package image

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Options tune MakeBundle. Config is required; the rest's zero value
// runs the image's own entrypoint and command with its env, unpacked into
// the bundle, with no user namespace.
type Options struct {
	// Config is the config the image's is converted over: the caller's
	// default, with its terminal set.
	Config *specs.Spec
	// Shape, when set, is applied to the config last (the caller's
	// limits, hardening, user namespace).
	Shape func(*specs.Spec) error
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
	// UIDMappings and GIDMappings are the container's user namespace,
	// nil for none: the image's files are then owned by the host ids its
	// ids map to (unpacked so; in the cache, shared unmapped layers
	// mounted idmapped, or where that cannot be, chowned copies per
	// mapping, see idmount.go), and the bundle dir and rootfs belong to
	// root inside.
	UIDMappings, GIDMappings []specs.LinuxIDMapping
	// Holder gives the program that holds the user namespace while the
	// layers' idmapped mounts are made; nil makes the cache keep chowned
	// copies.
	Holder Holder
	// Env entries ("NAME=value") are set over the image's env.
	Env []string
	// CacheDir, when set, keeps each unpacked layer there by digest and
	// mounts the bundle's rootfs as an overlay of them.
	CacheDir string
	// MaxBytes bounds the bytes the layers may write; 0 means the free
	// space of the file system they are written to.
	MaxBytes int64
	// Progress, when set, is told the bytes of each layer's blob read as
	// it is unpacked, on MakeBundle's goroutine; a true return cancels
	// (ErrCanceled, nothing left). Layers already in the cache are not
	// read, and not reported.
	Progress func(Progress) bool
}

// MakeBundle makes the runtime bundle dir from the image ref (see
// openImage): dir/rootfs holding the image's layers, dir/config.json from
// its config with opts' overrides. Every blob is verified against its
// digest (see verify.go). dir, mode 0700, must be missing or an
// empty directory; on any failure nothing of what this call made is left.
// A bundle made here is removed with RemoveBundle. Root only: unpacking
// keeps the image's owners and device nodes, and the cache mounts an
// overlay.
func MakeBundle(dir, ref string, opts Options) (err error) {
	if os.Geteuid() != 0 {
		return wrapf(ErrState, "image: unpacking an image needs root (owners, device nodes, overlay mounts)")
	}
	if err := checkOptions(opts); err != nil {
		return err
	}
	plat, err := parsePlatform(opts.Platform)
	if err != nil {
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
			undoBundle(claim, cache, rec)
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
	ids := newIDMap(opts.UIDMappings, opts.GIDMappings)
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
	// RemoveBundle takes.
	if err := writeRecord(filepath.Join(abs, imageMarker), rec); err != nil {
		return err
	}
	cancelled := reportUnpack(src, opts.Progress)
	if cache != nil {
		err = unpackCached(src, cache, rec, ids, opts.Holder, budget)
	} else {
		err = unpackInto(src, rootfs, ids, budget)
	}
	if err != nil && *cancelled {
		return wrapf(ErrCanceled, "image: unpacking %s cancelled by its progress callback", ref)
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

// checkOptions refuses malformed overrides before anything is made.
func checkOptions(opts Options) error {
	for _, e := range opts.Env {
		if i := strings.IndexByte(e, '='); i <= 0 {
			return wrapf(ErrInvalid, "image: env entry %q is not NAME=value", e)
		}
	}
	if opts.Config == nil || opts.Config.Process == nil || opts.Config.Linux == nil {
		return wrapf(ErrInvalid, "image: no base config")
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

// undoBundle removes what a failed MakeBundle made: the rootfs overlay
// and idmapped layers, the dir's content (or the dir it made) and its
// cache reference.
func undoBundle(c *bundleClaim, cache *layerCache, rec *bundleRecord) {
	if unmountBundle(c.abs) != nil {
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
func unpackInto(src *imageSource, rootfs string, ids *idMap, budget *unpackBudget) error {
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
// work dirs; for a user namespace, over the layers idmapped to it where
// the cache's file system can.
func unpackCached(src *imageSource, cache *layerCache, rec *bundleRecord, ids *idMap, holder Holder, budget *unpackBudget) (err error) {
	ns, err := cache.idmapNS(ids, holder)
	if err != nil {
		return err
	}
	layerIDs := ids
	if ns != nil {
		defer ns.Close()
		layerIDs = nil
	}
	layers, err := cache.layers(src, layerIDs, budget)
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
	if ns == nil {
		return mountOverlay(rootfs, layers, upper, work)
	}
	lowers, err := mountIDMapped(rec.Bundle, layers, ns)
	if err != nil {
		return err
	}
	defer func() {
		if uerr := unmountLowers(rec.Bundle); err == nil {
			err = uerr
		}
	}()
	return mountOverlay(rootfs, lowers, upper, work)
}

// writeConfig writes v, indented, to the new file path, mode 0644.
func writeConfig(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return sysErr("image: "+path, err)
	}
	return createFile(path, append(data, '\n'), 0o644)
}
