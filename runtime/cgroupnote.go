package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/cgroups/v3"
	"github.com/libexecution/execution/runtime/internal/cgroup"
	"github.com/libexecution/execution/runtime/internal/rawfile"
)

// A container's record keeps where its init lives (record.Cgroup): its
// cgroup membership, read while it ran, so that its cgroup can still be
// found once it has exited (the runtime removes the cgroup on delete, not
// on exit). State dirs of earlier versions keep it in a file of its own,
// cgroupNoteName.
const cgroupNoteName = "cgroup.json"

// cgroupNote is where a process lives.
type cgroupNote struct {
	// Membership is /proc/<pid>/cgroup as read when the process started.
	Membership string `json:"membership"`
	// OOMKills is the cgroup's OOM-kill count when an exec'd process
	// started; 0 for an init.
	OOMKills uint64 `json:"oom_kills"`
	// Init tells a container's init from an exec'd process.
	Init bool `json:"init"`
}

// liveMembership reads /proc/<pid>/cgroup of a process that still runs: an
// exited process (a zombie) has left its cgroups and shows the root ones.
// A startTime other than 0 must match the process's.
func liveMembership(pid int, startTime uint64) (string, bool) {
	data, err := rawfile.Read("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return "", false
	}
	st, err := readProcStat(pid)
	if err != nil || st.state == 'Z' || st.state == 'X' ||
		(startTime != 0 && st.startTime != startTime) || cgroup.InRoot(string(data)) {
		return "", false
	}
	return string(data), true
}

// monitorMembership is /proc/<pid>/cgroup of the root's monitor, whose
// cgroups the runtime calls it spawns run in; "" when unknown.
func (r *Runtime) monitorMembership() string {
	mon, err := r.monitor()
	if err != nil || mon.Placed() != nil {
		return ""
	}
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", mon.Pid()))
	return string(data)
}

// noteCgroup reads the cgroup note of process pid, which just started. It
// is best effort: without a note, a live container's cgroup is still found
// through its init's pid.
func noteCgroup(pid int, init bool) (cgroupNote, bool) {
	membership, ok := liveMembership(pid, 0)
	if !ok {
		return cgroupNote{}, false
	}
	note := cgroupNote{Membership: membership, Init: init}
	// A container's cgroup is made with its init: every kill counts.
	if !init {
		note.OOMKills, _ = cgroup.OOMKills(membership)
	}
	return note, true
}

// cgroupNote is the note of the container's init: from its record, or
// from the file of an earlier version's state dir.
func (c *Container) cgroupNote() (cgroupNote, bool) {
	if c.rec.Cgroup != nil {
		return *c.rec.Cgroup, true
	}
	var note cgroupNote
	if readJSON(filepath.Join(c.dir, cgroupNoteName), &note) != nil {
		return cgroupNote{}, false
	}
	return note, true
}

// runtimeMembership builds a membership from the cgroup paths runc keeps
// in its state, for a container whose init exited before it was noted.
func runtimeMembership(runtimeRoot, id string) (string, bool) {
	var st struct {
		CgroupPaths map[string]string `json:"cgroup_paths"`
	}
	if readJSON(filepath.Join(runtimeRoot, id, "state.json"), &st) != nil {
		return "", false
	}
	var b strings.Builder
	for ctrl, path := range st.CgroupPaths {
		rel, ok := strings.CutPrefix(path, cgroup.Mount+"/")
		if !ok {
			continue
		}
		// v1 hierarchies, and v2 on a hybrid host, are mounted one level down.
		if ctrl != "" || cgroups.Mode() != cgroups.Unified {
			_, rel, _ = strings.Cut(rel, "/")
		}
		fmt.Fprintf(&b, "0:%s:/%s\n", ctrl, rel)
	}
	return b.String(), b.Len() > 0
}

// cgroup opens the container's cgroup: from its note, else from its live
// init, else from the runtime's state. A cgroup that is gone, or that
// cannot be found, is ErrState.
func (c *Container) cgroup() (*cgroup.Cgroup, error) {
	membership, err := c.membership()
	if err != nil {
		return nil, err
	}
	return c.openCgroup(membership)
}

// membership is the container's cgroup membership: noted while it ran, or
// read from its process or the runtime's state.
func (c *Container) membership() (string, error) {
	membership := ""
	if note, ok := c.cgroupNote(); ok {
		membership = note.Membership
	} else if m, ok := liveMembership(c.rec.Pid, c.rec.StartTime); ok && !c.watch.exited() {
		membership = m
	} else if c.rt.fastState {
		membership, _ = runtimeMembership(c.rt.client.Root, c.id)
	}
	if membership == "" {
		return "", wrapf(ErrState, "container %q has stopped and its cgroup is unknown", c.id)
	}
	return membership, nil
}

// openCgroup opens the cgroup a membership names: ErrState when it is gone.
func (c *Container) openCgroup(membership string) (*cgroup.Cgroup, error) {
	cg, err := cgroup.Open(membership)
	if errors.Is(err, cgroup.ErrGone) {
		return nil, wrapf(ErrState, "container %q: its cgroup is gone", c.id)
	}
	if err != nil {
		return nil, sysErr("open cgroup", err)
	}
	return cg, nil
}
