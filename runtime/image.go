package runtime

// Images: a runtime bundle from an OCI image already on disk, as containerd,
// podman and umoci make one; no registry is ever contacted.
//
// Two libraries made for this do the work, each for the part it is best
// at. go-containerregistry reads the image: an OCI layout directory and the
// archives `docker save`, `podman save` and `skopeo copy` write, with the
// layers' compression (gzip, zstd) and digests checked. umoci writes each
// layer: its TarExtractor is what `umoci unpack` runs, handling whiteouts,
// opaque dirs, owners, modes, xattrs, hard links, symlinks and device
// nodes, resolving every path inside the rootfs (securejoin); its config
// conversion
// (image-spec's conversion rules) turns the image config into the
// runtime-spec config. umoci's own reader handles OCI layouts only, and
// go-containerregistry has no unpacker that handles whiteouts in place,
// hence one of each. The checks here on top (checkEntry) turn an entry
// reaching out of the rootfs into an error instead of a confined write.

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"

	ispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/umoci/oci/config/convert"
)

// imageMarker is the file in a bundle made from an image that BundleRemove
// looks for: it never removes a directory without it.
const imageMarker = "image.json"

// ImageOptions tune BundleFromImage. The zero value runs the image's own
// entrypoint and command with its env, unpacked into the bundle.
type ImageOptions struct {
	// Args replace the image's entrypoint and command when not empty.
	Args []string
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

// bundleRecord is what imageMarker holds.
type bundleRecord struct {
	Image   string   `json:"image"`
	Overlay bool     `json:"overlay"`
	Layers  []string `json:"layers,omitempty"`
}

// BundleFromImage makes the runtime bundle dir from the image ref (see
// openImage): dir/rootfs holding the image's layers, dir/config.json from
// its config with opts' overrides. dir must be missing or an empty
// directory; on any failure nothing of what this call made is left. A
// bundle made here is removed with BundleRemove. Root only: unpacking keeps
// the image's owners and device nodes, and the cache mounts an overlay.
func BundleFromImage(dir, ref string, opts ImageOptions) (err error) {
	if os.Geteuid() != 0 {
		return wrapf(ErrState, "image: unpacking an image needs root (owners, device nodes, overlay mounts)")
	}
	if err := checkImageOptions(opts); err != nil {
		return err
	}
	abs, created, err := claimBundleDir(dir)
	if err != nil {
		return err
	}
	rootfs := filepath.Join(abs, "rootfs")
	defer func() {
		if err != nil {
			undoBundle(abs, rootfs, created)
		}
	}()
	src, err := openImage(ref, abs)
	if err != nil {
		return err
	}
	defer src.close()
	var rec *bundleRecord
	if opts.CacheDir != "" {
		rec, err = unpackCached(src, abs, rootfs, opts)
	} else {
		rec, err = unpackInto(src, rootfs, opts)
	}
	if err != nil {
		return err
	}
	rec.Image = ref
	spec, err := imageSpec(src, rootfs, opts)
	if err != nil {
		return err
	}
	if err := writeConfig(filepath.Join(abs, imageMarker), rec); err != nil {
		return err
	}
	return writeConfig(filepath.Join(abs, "config.json"), spec)
}

// BundleRemove removes a bundle BundleFromImage made: it unmounts its
// overlay and removes the directory. The layer cache stays. A directory
// without the bundle's marker is ErrInvalid and left alone.
func BundleRemove(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return wrapf(ErrInvalid, "bundle remove %q: %v", dir, err)
	}
	if _, err := os.Stat(filepath.Join(abs, imageMarker)); err != nil {
		return wrapf(ErrInvalid, "bundle remove %q: not a bundle made from an image (no %s)", dir, imageMarker)
	}
	if err := unmountRootfs(filepath.Join(abs, "rootfs")); err != nil {
		return err
	}
	if err := os.RemoveAll(abs); err != nil {
		return sysErr("bundle remove", err)
	}
	return nil
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
	if opts.CacheDir != "" {
		return checkCacheDir(opts.CacheDir)
	}
	return nil
}

// claimBundleDir makes dir, or takes an existing empty one; created tells
// which, so that a failure removes only what this call made.
func claimBundleDir(dir string) (abs string, created bool, err error) {
	if dir == "" {
		return "", false, wrapf(ErrInvalid, "image: bundle_dir is empty")
	}
	if abs, err = filepath.Abs(dir); err != nil {
		return "", false, wrapf(ErrInvalid, "image: bundle_dir %q: %v", dir, err)
	}
	err = os.Mkdir(abs, 0o711)
	if err == nil {
		return abs, true, nil
	}
	if !errors.Is(err, os.ErrExist) {
		if errors.Is(err, os.ErrNotExist) {
			return "", false, wrapf(ErrInvalid, "image: bundle_dir %q: its parent does not exist", dir)
		}
		return "", false, sysErr("image: bundle_dir", err)
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return "", false, wrapf(ErrInvalid, "image: bundle_dir %q: %v", dir, errors.Unwrap(err))
	}
	if len(entries) > 0 {
		return "", false, wrapf(ErrExists, "image: bundle_dir %q is not empty", dir)
	}
	return abs, false, nil
}

// undoBundle removes what a failed BundleFromImage made in abs.
func undoBundle(abs, rootfs string, created bool) {
	if unmountRootfs(rootfs) != nil {
		return // never remove through a mount still there
	}
	if created {
		os.RemoveAll(abs)
		return
	}
	entries, _ := os.ReadDir(abs)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(abs, e.Name()))
	}
}

// unpackInto writes every layer, in order, into rootfs.
func unpackInto(src *imageSource, rootfs string, opts ImageOptions) (*bundleRecord, error) {
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		return nil, sysErr("image: rootfs", err)
	}
	budget, err := newBudget(rootfs, opts.MaxBytes)
	if err != nil {
		return nil, err
	}
	layers, err := src.layers()
	if err != nil {
		return nil, err
	}
	for _, l := range layers {
		if err := unpackLayer(rootfs, l, budget); err != nil {
			return nil, err
		}
	}
	return &bundleRecord{}, nil
}

// unpackCached makes sure every layer is in the cache and mounts their
// overlay at rootfs, with the bundle's own upper and work dirs.
func unpackCached(src *imageSource, abs, rootfs string, opts ImageOptions) (*bundleRecord, error) {
	if err := os.MkdirAll(opts.CacheDir, 0o700); err != nil {
		return nil, sysErr("image: cache_dir", err)
	}
	cache, err := filepath.Abs(opts.CacheDir)
	if err != nil {
		return nil, wrapf(ErrInvalid, "image: cache_dir: %v", err)
	}
	budget, err := newBudget(cache, opts.MaxBytes)
	if err != nil {
		return nil, err
	}
	layers, err := src.layers()
	if err != nil {
		return nil, err
	}
	rec := &bundleRecord{Overlay: true}
	chain := ""
	for _, l := range layers {
		if chain, err = chainID(chain, l); err != nil {
			return nil, err
		}
		dir, err := cachedLayer(cache, chain, l, rec.Layers, budget)
		if err != nil {
			return nil, err
		}
		rec.Layers = append(rec.Layers, dir)
	}
	if len(rec.Layers) == 0 {
		return nil, wrapf(ErrInvalid, "image: it has no layers")
	}
	upper, work := filepath.Join(abs, "upper"), filepath.Join(abs, "work")
	for _, d := range []string{upper, work, rootfs} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, sysErr("image: bundle", err)
		}
	}
	return rec, mountOverlay(rootfs, rec.Layers, upper, work)
}

// imageSpec converts the image's config into a runtime config, with umoci's
// conversion over the library's default config, then applies opts.
func imageSpec(src *imageSource, rootfs string, opts ImageOptions) (*specs.Spec, error) {
	raw, err := src.image.RawConfigFile()
	if err != nil {
		return nil, wrapf(ErrInvalid, "image: config: %v", err)
	}
	var img ispec.Image
	if err := json.Unmarshal(raw, &img); err != nil {
		return nil, wrapf(ErrInvalid, "image: config: %v", err)
	}
	// umoci reads the user database at rootfs/etc/{passwd,group} without
	// resolving links inside the rootfs: refuse links there.
	for _, f := range []string{"etc/passwd", "etc/group"} {
		if fi, err := os.Lstat(filepath.Join(rootfs, f)); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return nil, wrapf(ErrInvalid, "image: /%s is a symlink; refused", f)
		}
	}
	spec := defaultSpec([]string{"sh"}, opts.Terminal)
	if err := convert.MutateRuntimeSpec(spec, rootfs, img); err != nil {
		return nil, wrapf(ErrInvalid, "image: config: %v", err)
	}
	spec.Process.Terminal = opts.Terminal
	if len(opts.Args) > 0 {
		spec.Process.Args = opts.Args
	}
	if len(img.Config.Entrypoint)+len(img.Config.Cmd) == 0 && len(opts.Args) == 0 {
		return nil, wrapf(ErrInvalid, "image: it has no entrypoint or cmd; give argv")
	}
	for _, e := range opts.Env {
		spec.Process.Env = setEnv(spec.Process.Env, e)
	}
	// Resource limits plug in here once bundle options exist: they apply
	// to spec.Linux.Resources as for a bundle made by BundleInit.
	return spec, nil
}

// setEnv sets the "NAME=value" entry e in env, replacing one of that name.
func setEnv(env []string, e string) []string {
	name := e[:strings.IndexByte(e, '=')+1]
	for i, old := range env {
		if strings.HasPrefix(old, name) {
			env[i] = e
			return env
		}
	}
	return append(env, e)
}

// writeConfig writes v, indented, to the new file path.
func writeConfig(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return sysErr("image: "+path, err)
	}
	return createFile(path, append(data, '\n'))
}
