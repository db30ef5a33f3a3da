package cgroup

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/cgroups/v3"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Leftovers are the cgroup dirs a container's create may make that did
// not exist before it: a runtime killed in the middle of a create leaves
// them behind, and only those may be removed, since container ids, and so
// default cgroup paths, are host-wide.
type Leftovers struct {
	dirs []string // deepest first
}

// NewLeftovers notes which dirs of the container's cgroup path are
// missing now, in every hierarchy: an absolute path from the hierarchy's
// root; a relative one (runc's default, the id) from the cgroup of the
// runtime's process, whose membership runtime is, as runc places it:
// beside that cgroup on a v2 host, beneath it in a v1 hierarchy, from the
// root in a hybrid host's v2 one. A systemd cgroup path is the systemd
// driver's to clean.
func NewLeftovers(spec *specs.Spec, id string, systemd bool, runtime string) *Leftovers {
	path := id
	if spec.Linux != nil && spec.Linux.CgroupsPath != "" {
		path = spec.Linux.CgroupsPath
	}
	l := &Leftovers{}
	if systemd || strings.Contains(path, ":") {
		return l
	}
	paths, unified, err := cgroups.ParseCgroupFromReaderUnified(strings.NewReader(runtime))
	if err != nil && !filepath.IsAbs(path) {
		return l
	}
	for _, h := range Hierarchies() {
		base := "/"
		if !filepath.IsAbs(path) && filepath.Base(h) != "unified" {
			own, ok := hierarchyPath(h, paths, unified)
			if !ok {
				continue
			}
			base = own
			if h == Mount {
				base = filepath.Dir(own)
			}
		}
		for p := filepath.Join(base, path); p != base && p != "/"; p = filepath.Dir(p) {
			dir := filepath.Join(h, p)
			if _, err := os.Lstat(dir); err == nil {
				break
			}
			l.dirs = append(l.dirs, dir)
		}
	}
	return l
}

// MembershipLeftovers are the dirs of the cgroup a membership names, in
// every hierarchy: what a delete the runtime did not finish leaves behind.
// Only the container's own dir is named, never a parent another may share:
// a hierarchy where the container's dir is not named as in its pids (or
// v2) hierarchy is left alone.
func MembershipLeftovers(membership string) *Leftovers {
	paths, unified, err := cgroups.ParseCgroupFromReaderUnified(strings.NewReader(membership))
	own := unified
	if p, ok := paths["pids"]; ok {
		own = p
	}
	l := &Leftovers{}
	if err != nil || own == "" || filepath.Clean(own) == "/" {
		return l
	}
	for _, h := range Hierarchies() {
		if path, ok := hierarchyPath(h, paths, unified); ok && path != "/" &&
			filepath.Base(path) == filepath.Base(own) {
			l.dirs = append(l.dirs, filepath.Join(h, path))
		}
	}
	return l
}

// hierarchyPath is the path a membership gives in the hierarchy mounted at
// dir: v2's at the unified mount, else that of the dir's controllers.
func hierarchyPath(dir string, paths map[string]string, unified string) (string, bool) {
	name := filepath.Base(dir)
	if dir == Mount || name == "unified" {
		return unified, unified != ""
	}
	for _, c := range strings.Split(name, ",") {
		for _, k := range []string{c, "name=" + c} {
			if p, ok := paths[k]; ok {
				return p, true
			}
		}
	}
	return "", false
}

// leftoverGrace bounds how long remove waits for the killed processes of
// the noted cgroups to go.
const leftoverGrace = 2 * time.Second

// Remove kills what runs in the noted cgroups, which all came from the
// failed call, and removes the dirs. rmdir fails on a cgroup that still
// holds a process or a child, which is then left alone.
func (l *Leftovers) Remove() {
	end := time.Now().Add(leftoverGrace)
	for l.killAll() && time.Now().Before(end) {
		time.Sleep(10 * time.Millisecond)
	}
	for _, dir := range l.dirs {
		os.Remove(dir)
	}
}

// killAll sends SIGKILL to every process of the noted cgroups; it tells
// whether it found any.
func (l *Leftovers) killAll() bool {
	found := false
	for _, dir := range l.dirs {
		data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				found = true
				killInCgroup(pid, dir)
			}
		}
	}
	return found
}

// killInCgroup kills pid if it is still a member of the cgroup dir: through
// a pidfd where the kernel has them, so a pid reused meanwhile is spared.
func killInCgroup(pid int, dir string) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err == unix.ENOSYS {
		unix.Kill(pid, unix.SIGKILL)
		return
	}
	if err != nil {
		return
	}
	defer unix.Close(fd)
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err == nil && slices.Contains(strings.Fields(string(data)), strconv.Itoa(pid)) {
		unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	}
}

// Hierarchies lists the mounted cgroup hierarchies: the unified one
// at the root on cgroup v2, else each v1 controller's (and a hybrid
// layout's unified one).
func Hierarchies() []string {
	if _, err := os.Stat(filepath.Join(Mount, "cgroup.controllers")); err == nil {
		return []string{Mount}
	}
	entries, err := os.ReadDir(Mount)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, filepath.Join(Mount, e.Name()))
		}
	}
	return out
}
