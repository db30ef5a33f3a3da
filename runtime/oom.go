package runtime

import "github.com/libexecution/execution/runtime/internal/cgroup"

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
// started, and returns the OOM counter it is judged by, and for a
// container's init its note, which its record keeps (nil when its cgroup
// could not be read); for an init that exited before it was noted, the
// counter of the cgroup the runtime's state names.
func (r *Runtime) noteOOMCounter(pid int, init bool, id string) (oomCounter, *cgroupNote) {
	note, ok := noteCgroup(pid, init)
	kept := &note
	if !ok && init {
		kept = nil
		note, ok = r.runtimeNote(id)
	}
	if !ok {
		return oomCounter{}, nil
	}
	if !init {
		kept = nil
	}
	return oomCounterOf(note), kept
}

// runtimeNote is the note of container id's cgroup as the runtime's state
// names it.
func (r *Runtime) runtimeNote(id string) (cgroupNote, bool) {
	membership, ok := runtimeMembership(r.client.Root, id)
	return cgroupNote{Membership: membership, Init: true}, ok
}

// oomCounterOf is the counter of the cgroup a note describes.
func oomCounterOf(note cgroupNote) oomCounter {
	return oomCounter{file: cgroup.OOMFile(note.Membership), base: note.OOMKills, sigkillOnly: !note.Init}
}

// execOOMCounter is execOOMCounter with the counter file the slot found
// before, which it notes.
func (s *agentSlot) execOOMCounter(c *Container) *oomCounter {
	if s.oomFile != "" {
		if n, err := cgroup.ReadOOMKills(s.oomFile); err == nil {
			return &oomCounter{file: s.oomFile, base: n, sigkillOnly: true}
		}
	}
	oom := c.execOOMCounter()
	if oom != nil {
		s.oomFile = oom.file
	}
	return oom
}

// execOOMCounter is the counter an exec'd process is judged by: its
// container's, read before the process starts, so that a kill that comes
// at once still counts; nil when the container's cgroup is not found.
func (c *Container) execOOMCounter() *oomCounter {
	note, ok := c.cgroupNote()
	if !ok {
		note, ok = c.rt.runtimeNote(c.id)
	}
	counter := oomCounterOf(note)
	if !ok || counter.file == "" {
		return nil
	}
	n, err := cgroup.ReadOOMKills(counter.file)
	if err != nil {
		return nil
	}
	return &oomCounter{file: counter.file, base: n, sigkillOnly: true}
}
