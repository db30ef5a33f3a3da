package runtime

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"time"

	runc "github.com/containerd/go-runc"
	"github.com/libexecution/execution/runtime/internal/monitor"
	"golang.org/x/sys/unix"
)

// DefaultCallTimeout bounds each invocation of the runtime binary.
const DefaultCallTimeout = 60 * time.Second

// Options configure a Runtime.
type Options struct {
	// Root is the library's state dir, created with mode 0700 if missing;
	// empty means DefaultRoot.
	Root string
	// RuntimePath is the runtime binary; empty means "runc" from PATH.
	RuntimePath string
	// RuntimeRoot is the runtime's --root; empty means <Root>/runc.
	RuntimeRoot string
	// SystemdCgroup passes --systemd-cgroup to the runtime.
	SystemdCgroup bool
	// Debug passes --debug to the runtime.
	Debug bool
	// LogPath is a file the runtime's log is appended to; empty keeps none.
	LogPath string
	// CallTimeout bounds each runtime invocation; 0 means DefaultCallTimeout.
	CallTimeout time.Duration
	// KillOnExit has the monitor kill and delete the containers this
	// process created, recording their exits, when the process exits or
	// dies while they live: no container outlives its creator.
	KillOnExit bool
	// NoAgent has every exec go through the runtime's exec, never through
	// a container's exec agent (see Container.Exec).
	NoAgent bool
}

// knowsRuncLayout tells whether a runtime binary keeps a created
// container's exec fifo at <runtime root>/<id>/exec.fifo.
func knowsRuncLayout(name string) bool {
	return name == "runc" || name == "crun"
}

// startsByFifo tells whether a runtime binary's start does no more than
// read the byte its created container's init writes into the exec fifo,
// then remove the fifo (runc; crun's start writes into it instead).
func startsByFifo(name string) bool {
	return name == "runc"
}

// Runtime creates and loads containers under one state root with one
// runtime binary. It is safe for concurrent use.
type Runtime struct {
	root        string
	name        string // the binary's base name, for messages
	client      *runc.Runc
	callTimeout time.Duration
	logPath     string
	logMu       sync.Mutex
	fastState   bool // the binary keeps runc's state layout (exec.fifo)
	fifoStart   bool // a start may read the exec fifo itself (startsByFifo)
	// detachKeepsChild: after `run --detach` the init is a child of the
	// monitor (its subreaper), with no helper of the binary between.
	detachKeepsChild bool
	killOnExit       bool
	agent            bool // execs may go through a container's agent
}

// New opens a runtime, creating its root if needed, and connects to the
// root's monitor, starting it if none runs.
func New(opts Options) (*Runtime, error) {
	if opts.Root == "" {
		def, err := DefaultRoot()
		if err != nil {
			return nil, err
		}
		opts.Root = def
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, wrapf(ErrInvalid, "root %q: %v", opts.Root, err)
	}
	binary := opts.RuntimePath
	if binary == "" {
		binary = "runc"
	}
	path, err := exec.LookPath(binary)
	if err == nil {
		path, err = filepath.Abs(path)
	}
	if err != nil {
		return nil, wrapf(ErrInvalid, "runtime %q: %v", binary, err)
	}
	// The monitor runs the runtime from "/": relative paths are this
	// process's.
	runtimeRoot, logPath := opts.RuntimeRoot, opts.LogPath
	if runtimeRoot == "" {
		runtimeRoot = filepath.Join(root, "runc")
	}
	for _, p := range []*string{&runtimeRoot, &logPath} {
		if *p != "" {
			if *p, err = filepath.Abs(*p); err != nil {
				return nil, wrapf(ErrInvalid, "path %q: %v", *p, err)
			}
		}
	}
	timeout := opts.CallTimeout
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	for _, dir := range []string{root, filepath.Join(root, "containers"), runtimeRoot} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, sysErr("create "+dir, err)
		}
	}
	if _, err := monitor.For(root); err != nil {
		return nil, err
	}
	sweepLeftovers(root)
	r := &Runtime{
		root: root,
		name: filepath.Base(path),
		client: &runc.Runc{
			Command:       path,
			Root:          runtimeRoot,
			Debug:         opts.Debug,
			LogFormat:     runc.JSON,
			SystemdCgroup: opts.SystemdCgroup,
		},
		callTimeout:      timeout,
		logPath:          logPath,
		fastState:        knowsRuncLayout(filepath.Base(path)),
		fifoStart:        startsByFifo(filepath.Base(path)),
		detachKeepsChild: filepath.Base(path) == "runc",
		killOnExit:       opts.KillOnExit,
		agent:            !opts.NoAgent,
	}
	r.sweepPools()
	return r, nil
}

// DefaultRoot is the state root of a caller that names none: for an
// ordinary user $XDG_RUNTIME_DIR/libexecution, where that directory is the
// user's own (a tmpfs the login session owns, as runc and podman use it
// rootless). Root has no default: a root process names its root, so that
// two programs never share one by accident.
func DefaultRoot() (string, error) {
	if os.Geteuid() == 0 {
		return "", wrapf(ErrInvalid, "root is required when running as root")
	}
	dir := os.Getenv("XDG_RUNTIME_DIR")
	var st unix.Stat_t
	if dir == "" || !filepath.IsAbs(dir) || unix.Stat(dir, &st) != nil ||
		st.Uid != uint32(os.Geteuid()) || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return "", wrapf(ErrInvalid, "root is required: $XDG_RUNTIME_DIR (%q) is not a directory of this user", dir)
	}
	return filepath.Join(dir, "libexecution"), nil
}

// monitor returns the connection to the root's monitor.
func (r *Runtime) monitor() (*monitor.Conn, error) {
	return monitor.For(r.root)
}

// Root is the runtime's state dir.
func (r *Runtime) Root() string { return r.root }

// containerDir is the state dir of container id (already validated).
func (r *Runtime) containerDir(id string) string {
	return filepath.Join(r.root, "containers", id)
}

// List returns the ids of the runtime's containers, sorted.
func (r *Runtime) List(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(r.root, "containers"))
	if err != nil {
		return nil, sysErr("list containers", err)
	}
	ids := []string{}
	pools := len(r.poolTokens()) > 0
	for _, e := range entries {
		if ValidateID(e.Name()) != nil {
			continue
		}
		// A dir without its record is a create in progress or a failed one.
		if _, err := os.Stat(filepath.Join(r.containerDir(e.Name()), containerRecordName)); err == nil &&
			!(pools && r.pooled(e.Name())) {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// appendUserLog copies a call's runtime log into the user's log file.
func (r *Runtime) appendUserLog(data []byte) {
	if r.logPath == "" || len(data) == 0 {
		return
	}
	r.logMu.Lock()
	defer r.logMu.Unlock()
	f, err := os.OpenFile(r.logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	f.Write(data)
}

// isNotExist tells whether err means a missing file.
func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
