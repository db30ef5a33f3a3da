package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup2"
	"golang.org/x/sys/unix"
)

// oomKillsOf is how many processes of the cgroup a membership names the
// kernel's OOM killer has killed: oom_kill of memory.events on v2, of
// memory.oom_control on v1. It reads that one file only (a whole v1 memory
// stat opens ten), as it runs on every exit before the waiters wake.
func oomKillsOf(membership string) (uint64, error) {
	paths, unified, err := cgroups.ParseCgroupFromReaderUnified(strings.NewReader(membership))
	if err != nil {
		return 0, err
	}
	if cgroups.Mode() == cgroups.Unified {
		m, err := cgroup2.Load(unified)
		if err != nil {
			return 0, err
		}
		st, err := m.StatFiltered(cgroup2.StatMemoryEvents)
		if err != nil || st.MemoryEvents == nil {
			return 0, err
		}
		return st.MemoryEvents.OomKill, nil
	}
	path, ok := paths["memory"]
	if !ok {
		return 0, errCgroupGone
	}
	return readOOMControl(filepath.Join(cgroupMount, "memory", path, "memory.oom_control"))
}

// readOOMControl reads the oom_kill line of a v1 memory.oom_control file
// (or of a v2 memory.events file, which has the same line), with plain
// system calls: an os.File would first try the file on the poller.
func readOOMControl(path string) (uint64, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var buf [256]byte
	n, err := unix.Read(fd, buf[:])
	if err != nil {
		return 0, &os.PathError{Op: "read", Path: path, Err: err}
	}
	for _, line := range strings.Split(string(buf[:max(n, 0)]), "\n") {
		if value, ok := strings.CutPrefix(line, "oom_kill "); ok {
			return strconv.ParseUint(strings.TrimSpace(value), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s has no oom_kill line", path)
}

// oomCounter is how the monitor tells whether the OOM killer ended a
// process: the file whose oom_kill line it reads at the exit (memory.events
// on v2, memory.oom_control on v1), that line's value when the process
// started, and whether only a death by SIGKILL counts (an exec'd process:
// a kill in its container may have hit another one). For a container's init
// any kill in its cgroup counts. The monitor reads it as it reaps, before
// any delete removes the cgroup. Empty when the cgroup cannot be found.
type oomCounter struct {
	file        string
	base        uint64
	sigkillOnly bool
}

// noteOOMCounter notes the cgroup of process pid, which the runtime just
// started into dir, and returns the OOM counter it is judged by; for a
// container's init that exited before it was noted, the counter of the
// cgroup the runtime's state names.
func (r *Runtime) noteOOMCounter(dir string, pid int, init bool, id string) oomCounter {
	note, ok := noteCgroup(dir, pid, init)
	if !ok && init {
		note, ok = r.runtimeNote(id)
	}
	if !ok {
		return oomCounter{}
	}
	return oomCounterOf(note)
}

// runtimeNote is the note of container id's cgroup as the runtime's state
// names it.
func (r *Runtime) runtimeNote(id string) (cgroupNote, bool) {
	membership, ok := runtimeMembership(r.client.Root, id)
	return cgroupNote{Membership: membership, Init: true}, ok
}

// oomCounterOf is the counter of the cgroup a note describes.
func oomCounterOf(note cgroupNote) oomCounter {
	paths, unified, err := cgroups.ParseCgroupFromReaderUnified(strings.NewReader(note.Membership))
	if err != nil {
		return oomCounter{}
	}
	c := oomCounter{base: note.OOMKills, sigkillOnly: !note.Init}
	if cgroups.Mode() == cgroups.Unified {
		c.file = filepath.Join(cgroupMount, unified, "memory.events")
	} else if path, ok := paths["memory"]; ok {
		c.file = filepath.Join(cgroupMount, "memory", path, "memory.oom_control")
	}
	return c
}

// execOOMCounter is the counter an exec'd process is judged by: its
// container's, read before the process starts, so that a kill that comes
// at once still counts; nil when the container's cgroup is not found.
func (c *Container) execOOMCounter() *oomCounter {
	note, ok := readCgroupNote(c.dir)
	if !ok {
		note, ok = c.rt.runtimeNote(c.id)
	}
	counter := oomCounterOf(note)
	if !ok || counter.file == "" {
		return nil
	}
	n, err := readOOMControl(counter.file)
	if err != nil {
		return nil
	}
	return &oomCounter{file: counter.file, base: n, sigkillOnly: true}
}
