package image

import (
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/libexecution/execution/runtime/internal/guest"
	"github.com/libexecution/execution/runtime/internal/imagehelper"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/umoci/oci/config/convert"
	"golang.org/x/sys/unix"
)

// StopSignalAnnotation is the annotation a bundle made from an image
// carries for the image's StopSignal. No other part of the image's config
// becomes an annotation: runtimes act on some (run.oci.*,
// org.systemd.property.*), and the image's labels are not the caller's
// say.
const StopSignalAnnotation = imagehelper.StopSignalAnnotation

// maxUserDBBytes bounds the image's /etc/passwd and /etc/group.
const maxUserDBBytes = guest.MaxUserDBBytes

// imageSpec converts the image's config into a runtime config, with umoci's
// conversion over opts.Config, then applies opts. The
// user is looked up in copies of the image's /etc/passwd and /etc/group,
// read beneath the bundle's rootfs (see copyUserDB).
func imageSpec(src *imageSource, bundle string, opts Options) (*specs.Spec, error) {
	img := src.config
	if wd := img.Config.WorkingDir; wd != "" && !path.IsAbs(wd) {
		return nil, wrapf(ErrInvalid, "image: its working dir %q is not absolute", wd)
	}
	// As docker does, an env entry without '=' is skipped.
	var env []string
	home := ""
	for _, e := range img.Config.Env {
		if strings.IndexByte(e, '=') > 0 {
			env = append(env, e)
		}
		if strings.HasPrefix(e, "HOME=") {
			home = e
		}
	}
	img.Config.Env = env
	// As docker run does: an entrypoint given clears the image's cmd too.
	if opts.Entrypoint != nil {
		img.Config.Entrypoint, img.Config.Cmd = opts.Entrypoint, nil
	}
	if len(opts.Cmd) > 0 {
		img.Config.Cmd = opts.Cmd
	}
	users, err := os.MkdirTemp(bundle, ".users-")
	if err != nil {
		return nil, sysErr("image: user database", err)
	}
	defer os.RemoveAll(users)
	if err := copyUserDB(filepath.Join(bundle, "rootfs"), users); err != nil {
		return nil, err
	}
	spec := opts.Config
	terminal := spec.Process.Terminal
	if err := convert.MutateRuntimeSpec(spec, users, img); err != nil {
		return nil, wrapf(ErrInvalid, "image: config: %v", err)
	}
	spec.Root.Path = "rootfs"
	spec.Process.Terminal = terminal
	if home != "" {
		spec.Process.Env = guest.SetEnv(spec.Process.Env, home)
	}
	spec.Annotations = nil
	if sig := img.Config.StopSignal; sig != "" {
		spec.Annotations = map[string]string{StopSignalAnnotation: sig}
	}
	if len(opts.Args) > 0 {
		spec.Process.Args = opts.Args
	}
	if len(img.Config.Entrypoint)+len(img.Config.Cmd) == 0 && len(opts.Args) == 0 {
		return nil, wrapf(ErrInvalid, "image: it has no entrypoint or cmd; give argv")
	}
	for _, e := range opts.Env {
		spec.Process.Env = guest.SetEnv(spec.Process.Env, e)
	}
	if opts.Shape != nil {
		if err := opts.Shape(spec); err != nil {
			return nil, err
		}
	}
	return spec, nil
}

// copyUserDB copies the image's /etc/passwd and /etc/group into dst/etc,
// for umoci's lookup there. Each is resolved with the rootfs as "/"
// (RESOLVE_IN_ROOT: a symlink in the image never leads to the host's
// files), must be a regular file (a FIFO is refused, never waited on) and
// at most maxUserDBBytes. A missing one is skipped: the user must then be
// numeric.
func copyUserDB(rootfs, dst string) error {
	root, err := unix.Open(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return sysErr("image: rootfs", err)
	}
	defer unix.Close(root)
	if err := os.Mkdir(filepath.Join(dst, "etc"), 0o700); err != nil {
		return sysErr("image: user database", err)
	}
	for _, name := range []string{"etc/passwd", "etc/group"} {
		data, err := guest.ReadInRoot(root, name, maxUserDBBytes)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return wrapf(ErrInvalid, "image: /%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o600); err != nil {
			return sysErr("image: user database", err)
		}
	}
	return nil
}

// SetEnv sets the "NAME=value" entry e in env, replacing one of that name.
func SetEnv(env []string, e string) []string { return guest.SetEnv(env, e) }

// ReadUserDB reads the file name (as "etc/passwd") of the rootfs at
// rootfs, resolved with rootfs as "/" so that no symlink leads out of it,
// and at most maxUserDBBytes; a file that is not there is nil data.
func ReadUserDB(rootfs, name string) ([]byte, error) { return guest.ReadUserDB(rootfs, name) }
