package runtime

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	"github.com/libexecution/execution/runtime/spec"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// readBundle checks a bundle before the runtime sees it: a directory with a
// config.json that parses, a process, and a rootfs that exists.
func readBundle(bundle string) (string, *specs.Spec, error) {
	if bundle == "" {
		return "", nil, wrapf(ErrInvalid, "bundle: empty path")
	}
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return "", nil, wrapf(ErrInvalid, "bundle %q: %v", bundle, err)
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return "", nil, wrapf(ErrInvalid, "bundle %q: no such directory", bundle)
	}
	data, err := os.ReadFile(filepath.Join(abs, "config.json"))
	if err != nil {
		return "", nil, wrapf(ErrInvalid, "bundle %q: cannot read config.json: %v", bundle, errors.Unwrap(err))
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return "", nil, wrapf(ErrInvalid, "bundle %q: config.json: %v", bundle, err)
	}
	if spec.Process == nil || len(spec.Process.Args) == 0 {
		return "", nil, wrapf(ErrInvalid, "bundle %q: config.json has no process args", bundle)
	}
	if spec.Root == nil || spec.Root.Path == "" {
		return "", nil, wrapf(ErrInvalid, "bundle %q: config.json has no root.path", bundle)
	}
	rootfs := spec.Root.Path
	if !filepath.IsAbs(rootfs) {
		rootfs = filepath.Join(abs, rootfs)
	}
	if fi, err := os.Stat(rootfs); err != nil || !fi.IsDir() {
		return "", nil, wrapf(ErrInvalid, "bundle %q: rootfs %q is not a directory", bundle, spec.Root.Path)
	}
	return abs, &spec, nil
}

// BundleInit writes <dir>/config.json: the default config `runc spec` makes,
// for the rootfs <dir>/rootfs, running args; a symlinked rootfs is written as
// its resolved absolute path, since runtimes refuse symlinks there. An
// existing config is ErrExists.
func BundleInit(dir string, args []string, terminal bool) error {
	return BundleInitWith(dir, args, BundleOptions{Terminal: terminal})
}

// BundleInitWith is BundleInit with options: a terminal, resource limits,
// a user namespace, a hardened profile and tmpfs dirs. A caller who is not
// root gets a rootless config. Bad options are ErrInvalid, limits a
// rootless caller cannot apply ErrNotSupported, and nothing is written.
func BundleInitWith(dir string, args []string, opts BundleOptions) error {
	if len(args) == 0 {
		return wrapf(ErrInvalid, "bundle init: no process args")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return wrapf(ErrInvalid, "bundle init: %q is not a directory", dir)
	}
	rootfs := filepath.Join(dir, "rootfs")
	config, err := spec.New(args, opts, rootfs)
	if err != nil {
		return err
	}
	if fi, err := os.Lstat(rootfs); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		resolved, err := filepath.EvalSymlinks(rootfs)
		if err != nil {
			return wrapf(ErrInvalid, "bundle init: rootfs %s: %v", rootfs, err)
		}
		if config.Root.Path, err = filepath.Abs(resolved); err != nil {
			return wrapf(ErrInvalid, "bundle init: rootfs %s: %v", rootfs, err)
		}
	}
	data, err := json.MarshalIndent(config, "", "\t")
	if err != nil {
		return sysErr("bundle init", err)
	}
	return createFile(filepath.Join(dir, "config.json"), append(data, '\n'))
}

// createFile writes data to the new file path (ErrExists if it is there);
// a failed write removes it.
func createFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return wrapf(ErrExists, "%s already exists", path)
	}
	if err != nil {
		return sysErr("create "+path, err)
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return sysErr("write "+path, werr)
	}
	return nil
}
