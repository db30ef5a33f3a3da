package image

import (
	"fmt"
	"os"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Holder returns the program that holds a user namespace open while
// MakeBundle opens it: run as `NAME --hold` in the new namespace, it
// must wait until its stdin closes. The library gives its monitor's.
type Holder func() (*os.File, error)

// userNS returns an fd of a new user namespace with m's mappings. A
// process of this one cannot enter a new user namespace itself (it is
// multi-threaded), so a child runs exe in one just long enough to open
// its /proc/PID/ns/user, and is then ended and reaped. The child is
// unreaped until then, so its pid names no other process.
func (m *idMap) userNS(exe *os.File) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, sysErr("image: user namespace", err)
	}
	defer w.Close()
	p, err := os.StartProcess(fmt.Sprintf("/proc/self/fd/%d", exe.Fd()), []string{"execution-monitor", "--hold"}, &os.ProcAttr{
		Dir:   "/",
		Env:   []string{},
		Files: []*os.File{r},
		Sys: &syscall.SysProcAttr{
			Cloneflags:                 unix.CLONE_NEWUSER,
			UidMappings:                sysMappings(m.uids),
			GidMappings:                sysMappings(m.gids),
			GidMappingsEnableSetgroups: false,
		},
	})
	r.Close()
	if err != nil {
		return nil, sysErr("image: start a process in a user namespace", err)
	}
	defer func() {
		p.Kill()
		p.Wait()
	}()
	ns, err := os.Open(fmt.Sprintf("/proc/%d/ns/user", p.Pid))
	if err != nil {
		return nil, sysErr("image: open user namespace", err)
	}
	return ns, nil
}

// sysMappings returns mappings in package syscall's form.
func sysMappings(ms []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(ms))
	for i, m := range ms {
		out[i] = syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)}
	}
	return out
}
