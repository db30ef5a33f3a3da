package spec

import (
	"bytes"
	"fmt"

	"github.com/libexecution/execution/runtime/internal/guest"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// applyUser sets p's user and extra groups from w, looking names up in
// the /etc/passwd and /etc/group of the rootfs at rootfs (read beneath it,
// never through a symlink out of it).
func (w *Workload) applyUser(p *specs.Process, rootfs string) error {
	if w.User == "" && len(w.Groups) == 0 {
		return nil
	}
	passwd, err := guest.ReadUserDB(rootfs, "etc/passwd")
	if err != nil {
		return fmt.Errorf("user: the rootfs's /etc/passwd: %v", err)
	}
	group, err := guest.ReadUserDB(rootfs, "etc/group")
	if err != nil {
		return fmt.Errorf("user: the rootfs's /etc/group: %v", err)
	}
	if w.User != "" {
		defaults := &user.ExecUser{Uid: int(p.User.UID), Gid: int(p.User.GID)}
		u, err := user.GetExecUser(w.User, defaults, bytes.NewReader(passwd), bytes.NewReader(group))
		if err != nil {
			return fmt.Errorf("user %q: %v", w.User, err)
		}
		p.User.UID, p.User.GID = uint32(u.Uid), uint32(u.Gid)
	}
	if len(w.Groups) > 0 {
		gids, err := user.GetAdditionalGroups(w.Groups, bytes.NewReader(group))
		if err != nil {
			return fmt.Errorf("groups %v: %v", w.Groups, err)
		}
		p.User.AdditionalGids = nil
		for _, g := range gids {
			p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(g))
		}
	}
	return nil
}
