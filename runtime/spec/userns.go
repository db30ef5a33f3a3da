package spec

import (
	"os"
	"strconv"
	"strings"

	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// UserNS is how a bundle config maps the container's users to the host's.
type UserNS int

const (
	// UserNSAuto maps root inside to the caller when the caller is not
	// root; as root it is UserNSNone, or for a hardened config
	// UserNSRange (UserNSSubIDs for a bundle made from an image, whose
	// files are owned by the mapped ids when unpacked).
	UserNSAuto UserNS = iota
	// UserNSNone gives the container no user namespace: root inside is
	// root outside. Only root can run such a config.
	UserNSNone
	// UserNSCaller maps root inside to the caller's uid and gid, and no
	// other id (as `runc spec --rootless`).
	UserNSCaller
	// UserNSSubIDs maps root inside to the caller and ids from 1 on to the
	// caller's ranges in /etc/subuid and /etc/subgid; as root, ids from 0
	// on to root's ranges there, so that root inside is nobody outside.
	UserNSSubIDs
	// UserNSRange maps ids from 0 on to a free range of 65536 host ids
	// chosen for each container at create, from a block above the ids of
	// users and of /etc/subuid and /etc/subgid ranges, and held under the
	// root until delete (see RangeAnnotation); root only, not for bundles
	// made from images.
	UserNSRange
)

// SubIDFiles are where subordinate id ranges are kept (shadow's files).
var SubIDFiles = [2]string{"/etc/subuid", "/etc/subgid"}

// resolve turns UserNSAuto into the mode the caller gets.
func (m UserNS) Resolve(hardened bool) (UserNS, error) {
	switch m {
	case UserNSAuto:
		if os.Geteuid() != 0 {
			return UserNSCaller, nil
		}
		if hardened {
			return UserNSRange, nil
		}
		return UserNSNone, nil
	case UserNSNone:
		if os.Geteuid() != 0 {
			return 0, wrapf(ErrInvalid, "no user namespace needs root; the caller is uid %d", os.Geteuid())
		}
		return m, nil
	case UserNSCaller, UserNSSubIDs:
		return m, nil
	case UserNSRange:
		if os.Geteuid() != 0 {
			return 0, wrapf(ErrInvalid, "a user namespace of a range per container needs root; the caller is uid %d", os.Geteuid())
		}
		return m, nil
	}
	return 0, wrapf(ErrInvalid, "user namespace mode %d is unknown", int(m))
}

// idMappings returns the uid and gid mappings of mode m for the caller.
func (m UserNS) IDMappings() (uids, gids []specs.LinuxIDMapping, err error) {
	ids := [2]uint32{uint32(os.Geteuid()), uint32(os.Getegid())}
	var maps [2][]specs.LinuxIDMapping
	for i, file := range SubIDFiles {
		if m == UserNSCaller {
			maps[i] = []specs.LinuxIDMapping{{ContainerID: 0, HostID: ids[i], Size: 1}}
			continue
		}
		r, err := subIDRange(file, os.Geteuid())
		if err != nil {
			return nil, nil, err
		}
		if ids[0] == 0 {
			maps[i] = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(r.SubID), Size: uint32(r.Count)}}
		} else {
			maps[i] = []specs.LinuxIDMapping{
				{ContainerID: 0, HostID: ids[i], Size: 1},
				{ContainerID: 1, HostID: uint32(r.SubID), Size: uint32(r.Count)},
			}
		}
	}
	return maps[0], maps[1], nil
}

// subIDRange returns the first range file grants to the user uid, named by
// its login or its number.
func subIDRange(file string, uid int) (user.SubID, error) {
	names := map[string]bool{strconv.Itoa(uid): true}
	if u, err := user.LookupUid(uid); err == nil {
		names[u.Name] = true
	}
	ranges, err := user.ParseSubIDFileFilter(file, func(s user.SubID) bool { return names[s.Name] })
	if err != nil && !os.IsNotExist(err) {
		return user.SubID{}, wrapf(ErrInvalid, "user namespace: %s: %v", file, err)
	}
	for _, r := range ranges {
		if r.SubID > 0 && r.Count > 0 && r.SubID+r.Count <= 1<<32 {
			return r, nil
		}
	}
	return user.SubID{}, wrapf(ErrInvalid, "user namespace: %s grants uid %d no range (usermod --add-subuids/--add-subgids adds one)", file, uid)
}

// withUserNS adds a user namespace mapping ids as mode m says, and makes
// the mounts fit it: mount options naming an id the mapping may lack go.
func withUserNS(spec *specs.Spec, m UserNS) error {
	if m == UserNSRange {
		// No mapping until create picks the range: a runtime given this
		// config as it is refuses it.
		if spec.Annotations == nil {
			spec.Annotations = map[string]string{}
		}
		spec.Annotations[RangeAnnotation] = "65536"
	} else {
		uids, gids, err := m.IDMappings()
		if err != nil {
			return err
		}
		spec.Linux.UIDMappings, spec.Linux.GIDMappings = uids, gids
	}
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	for i, mnt := range spec.Mounts {
		opts := mnt.Options[:0:0]
		for _, o := range mnt.Options {
			if !strings.HasPrefix(o, "uid=") && !strings.HasPrefix(o, "gid=") {
				opts = append(opts, o)
			}
		}
		spec.Mounts[i].Options = opts
	}
	return nil
}

// RangeAnnotation marks a config whose user namespace gets a range of
// host ids of its own at create (UserNSRange); its value is the range's
// size. The library's own; no runtime acts on it.
const RangeAnnotation = "org.libexecution.userns-range"
