package runtime

import (
	"github.com/containerd/cgroups/v3/cgroup1"
	v1 "github.com/containerd/cgroups/v3/cgroup1/stats"
	"github.com/containerd/cgroups/v3/cgroup2"
	"golang.org/x/sys/unix"
)

// oomKills is how many processes of the cgroup the kernel's OOM killer has
// killed: oom_kill of memory.oom_control on v1, of memory.events on v2.
func (cg *cgroup) oomKills() (uint64, error) {
	if cg.v2 != nil {
		m, err := cg.v2.StatFiltered(cgroup2.StatMemoryEvents)
		if err != nil || m.MemoryEvents == nil {
			return 0, err
		}
		return m.MemoryEvents.OomKill, nil
	}
	var m v1.Metrics
	if err := cg.v1Stat(cgroup1.Memory, &m); err != nil || m.MemoryOomControl == nil {
		return 0, err
	}
	return m.MemoryOomControl.OomKill, nil
}

// v1Stat reads the statistics of one v1 controller into m.
func (cg *cgroup) v1Stat(name cgroup1.Name, m *v1.Metrics) error {
	for _, s := range cg.v1.Subsystems() {
		st, ok := s.(interface {
			Stat(path string, m *v1.Metrics) error
		})
		if s.Name() != name || !ok {
			continue
		}
		path, err := cg.v1Path(name)
		if err != nil {
			return err
		}
		return st.Stat(path, m)
	}
	return cgroup1.ErrControllerNotActive
}

// oomRecorded amends the exit of dir's process with whether the OOM killer
// killed while it ran: for a container's init, any kill in the container's
// cgroup; for an exec'd process, a kill while it ran that ended it with
// SIGKILL. It reads the cgroup as the exit is observed, before any delete
// removes it.
func oomRecorded(dir string, e Exit) Exit {
	note, ok := readCgroupNote(dir)
	if !ok || (!note.Init && e.Signal != int(unix.SIGKILL)) {
		return e
	}
	cg, err := openCgroup(note.Membership)
	if err != nil {
		return e
	}
	if n, err := cg.oomKills(); err == nil && n > note.OOMKills {
		e.OOMKilled = true
	}
	return e
}
