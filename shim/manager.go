package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/containerd/containerd/mount"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/runtime/v2/shim"
	"github.com/containerd/log"

	"github.com/libexecution/execution/runtime"
)

// groupEnv, set to "namespace" in containerd's environment, has one shim
// process serve every container of a namespace.
const groupEnv = "EXECUTION_SHIM_GROUP"

// groupAnnotations name the shim process a container joins, first found
// first: an explicit group, then the CRI pod (as the runc shim does).
var groupAnnotations = []string{
	RuntimeType + ".group",
	"io.kubernetes.cri.sandbox-id",
}

// manager starts shim processes and cleans up after dead ones.
type manager struct {
	name string
}

func newManager(name string) shim.Manager { return manager{name: name} }

// Name is the runtime type.
func (m manager) Name() string { return m.name }

// group is the shim process a container of the bundle in the working dir
// belongs to: its own id unless grouped by annotation or by namespace.
func group(id string) (string, error) {
	if os.Getenv(groupEnv) == "namespace" {
		return "namespace", nil
	}
	data, err := os.ReadFile("config.json")
	if err != nil {
		return "", err
	}
	var spec struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return "", fmt.Errorf("config.json: %w", err)
	}
	for _, a := range groupAnnotations {
		if g := spec.Annotations[a]; g != "" {
			return g, nil
		}
	}
	return id, nil
}

// Start starts the shim process of the container's group, or finds it
// running, and returns its address.
func (m manager) Start(ctx context.Context, id string, opts shim.StartOpts) (_ string, retErr error) {
	ns, err := namespaces.NamespaceRequired(ctx)
	if err != nil {
		return "", err
	}
	grouping, err := group(id)
	if err != nil {
		return "", err
	}
	address, err := shim.SocketAddress(ctx, opts.Address, grouping)
	if err != nil {
		return "", err
	}
	socket, err := shim.NewSocket(address)
	if err != nil {
		if !shim.SocketEaddrinuse(err) {
			return "", fmt.Errorf("create shim socket: %w", err)
		}
		if shim.CanConnect(address) {
			return address, shim.WriteAddress("address", address)
		}
		if err := shim.RemoveSocket(address); err != nil {
			return "", fmt.Errorf("remove stale shim socket: %w", err)
		}
		if socket, err = shim.NewSocket(address); err != nil {
			return "", fmt.Errorf("create shim socket: %w", err)
		}
	}
	defer func() {
		if retErr != nil {
			socket.Close()
			_ = shim.RemoveSocket(address)
		}
	}()
	if err := shim.WriteAddress("address", address); err != nil {
		return "", err
	}
	f, err := socket.File()
	if err != nil {
		return "", err
	}
	defer f.Close()

	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	cwd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	args := []string{"-namespace", ns, "-id", id, "-address", opts.Address}
	if opts.Debug {
		args = append(args, "-debug")
	}
	cmd := exec.Command(self, args...)
	cmd.Dir = cwd
	cmd.Env = append(os.Environ(), "GOMAXPROCS=2")
	cmd.ExtraFiles = []*os.File{f}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	defer func() {
		if retErr != nil {
			_ = cmd.Process.Kill()
		}
	}()
	go func() { _ = cmd.Wait() }()
	if err := shim.AdjustOOMScore(cmd.Process.Pid); err != nil {
		return "", fmt.Errorf("adjust the shim's OOM score: %w", err)
	}
	return address, nil
}

// Stop cleans up after a shim process that is gone (containerd runs it as
// `shim delete`): the container is killed if it still runs, its exit taken
// from the monitor's record, and it is deleted and its rootfs unmounted.
func (m manager) Stop(ctx context.Context, id string) (shim.StopStatus, error) {
	ns, err := namespaces.NamespaceRequired(ctx)
	if err != nil {
		return shim.StopStatus{}, err
	}
	bundle, err := os.Getwd()
	if err != nil {
		return shim.StopStatus{}, err
	}
	status := shim.StopStatus{ExitedAt: time.Now(), ExitStatus: 128 + int(syscall.SIGKILL)}
	rt, err := openRuntime(bundle, ns)
	if err != nil {
		return status, err
	}
	if c, err := rt.Load(ctx, id); err == nil {
		status.Pid = c.Pid()
		if exit, err := killAndWait(ctx, c); err == nil {
			status.ExitStatus = exit.Status
		} else {
			log.G(ctx).WithError(err).Warn("no exit for the container")
		}
		if err := c.Delete(ctx, true); err != nil && !errors.Is(err, runtime.ErrNotFound) {
			log.G(ctx).WithError(err).Warn("delete the container")
		}
		c.Close()
	} else if !errors.Is(err, runtime.ErrNotFound) {
		log.G(ctx).WithError(err).Warn("load the container")
	}
	if err := mount.UnmountAll(filepath.Join(bundle, "rootfs"), 0); err != nil {
		log.G(ctx).WithError(err).Warn("unmount the rootfs")
	}
	return status, nil
}

// killAndWait kills a container that still runs and returns its exit.
func killAndWait(ctx context.Context, c *runtime.Container) (runtime.Exit, error) {
	if s, err := c.State(ctx); err == nil && s != runtime.StateStopped {
		if err := c.Kill(ctx, syscall.SIGKILL, true); err != nil && !errors.Is(err, runtime.ErrNotFound) {
			return runtime.Exit{}, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return c.Wait(ctx)
}
