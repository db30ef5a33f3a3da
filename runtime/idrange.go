package runtime

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/libexecution/execution/runtime/spec"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The block ranges are taken from, as systemd-nspawn's: above the ids of
// users and of the usual /etc/subuid ranges, below 2^31 + 2^27.
const (
	rangeSize  = 65536
	rangeFirst = 0x70000000
	rangeSlots = 2048
)

// rangeDir is where a root keeps the ranges its containers hold: a file
// per container, named by its id, holding the range's first host id.
func rangeDir(root string) string { return filepath.Join(root, "userns") }

// allocateRange picks a free range for container id, records it under the
// root and returns its first host id. Taken are the ranges of the root's
// other containers, those of /etc/subuid and /etc/subgid, and the ids of
// the host's users and groups.
func allocateRange(root, id string) (uint32, error) {
	dir := rangeDir(root)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, sysErr("user namespace range", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return 0, sysErr("user namespace range", err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return 0, sysErr("user namespace range", err)
	}
	taken := takenIDs(dir)
	for slot := 0; slot < rangeSlots; slot++ {
		start := uint64(rangeFirst) + uint64(slot)*rangeSize
		if overlapsAny(start, rangeSize, taken) {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, id), []byte(strconv.FormatUint(start, 10)), 0o600); err != nil {
			return 0, sysErr("user namespace range", err)
		}
		return uint32(start), nil
	}
	return 0, wrapf(ErrSys, "container %q: no free range of %d ids left in the block", id, rangeSize)
}

// idSpan is a range of host ids.
type idSpan struct{ start, size uint64 }

func overlapsAny(start, size uint64, spans []idSpan) bool {
	for _, s := range spans {
		if start < s.start+s.size && s.start < start+size {
			return true
		}
	}
	return false
}

// takenIDs are the host ids a new range must avoid.
func takenIDs(dir string) []idSpan {
	var spans []idSpan
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if data, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && !strings.HasPrefix(e.Name(), ".") {
			if start, err := strconv.ParseUint(string(bytes.TrimSpace(data)), 10, 32); err == nil {
				spans = append(spans, idSpan{start, rangeSize})
			}
		}
	}
	for _, file := range spec.SubIDFiles {
		ranges, _ := user.ParseSubIDFile(file)
		for _, r := range ranges {
			spans = append(spans, idSpan{uint64(r.SubID), uint64(r.Count)})
		}
	}
	users, _ := user.ParsePasswdFile("/etc/passwd")
	for _, u := range users {
		spans = append(spans, idSpan{uint64(u.Uid), 1})
	}
	groups, _ := user.ParseGroupFile("/etc/group")
	for _, g := range groups {
		spans = append(spans, idSpan{uint64(g.Gid), 1})
	}
	return spans
}

// releaseRange gives container id's range back; none is no error.
func releaseRange(root, id string) error {
	if err := os.Remove(filepath.Join(rangeDir(root), id)); err != nil && !isNotExist(err) {
		return sysErr("user namespace range", err)
	}
	return nil
}

// heldRanges are the ids of the containers that hold a range.
func heldRanges(root string) []string {
	entries, _ := os.ReadDir(rangeDir(root))
	var ids []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			ids = append(ids, e.Name())
		}
	}
	return ids
}

// withRange maps ids from 0 on to the range at start, in spec.
func withRange(spec *specs.Spec, start uint32) {
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: start, Size: rangeSize}}
	spec.Linux.UIDMappings, spec.Linux.GIDMappings = m, m
}

// rangeOf is the range container id holds, for messages and tests.
func rangeOf(root, id string) (uint32, error) {
	data, err := os.ReadFile(filepath.Join(rangeDir(root), id))
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(string(bytes.TrimSpace(data)), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("range of %s: %v", id, err)
	}
	return uint32(v), nil
}
