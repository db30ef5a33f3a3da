package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// An exec through the agent has no runtime call the monitor could undo
// when its host dies: until the monitor claims its process and the process
// record is written, the state dir it reserved is held by a lock instead.
// The dir is made whole under a name no id can take (its reservation
// file, locked, inside), then renamed into place, so
// that every dir under an id that holds a reservation file was a locked
// reservation when it appeared. The reservation file gets the process's
// record (pid and start time) as soon as the process is known, and becomes
// the process record (renamed) once the process is claimed. A dir whose
// reservation file is unlocked, with no process record and no process of
// that pid and start time alive (a claimed process stays a zombie until
// its exit is recorded), is one whose reserver died first: nothing will
// ever write into it again, and the next reserver of the id removes it.

// reservationName is the reservation file of a state dir an agent exec
// reserved.
const reservationName = "reserving"

// reservedPrefix begins the temporary names of reservations being made and
// of dead ones being removed: "~" is in no id.
const reservedPrefix = "~"

// reservation is a process state dir held by this process: placed under
// an id, with its reservation file open and locked; or a spare made
// ahead under a temporary name, which takes its lock as it is placed.
type reservation struct {
	dir  string
	file *os.File // the reservation file, locked; nil for a spare
}

// reserveProcessDir reserves dir for process id and holds it. A dir of the
// id already there is ErrExists, unless its reserver died before its
// process was recorded: that one is removed and the id reserved anew.
func reserveProcessDir(dir, id string) (*reservation, error) {
	r, err := makeReservation(filepath.Dir(dir))
	if err != nil {
		return nil, err
	}
	if err := r.place(dir, id); err != nil {
		r.discard()
		return nil, err
	}
	return r, nil
}

// makeReservation makes a spare reservation in parent under a temporary
// name no id takes, with its empty exit record (creating files is the
// slow part on some file systems): place then only locks and renames it.
func makeReservation(parent string) (*reservation, error) {
	tmp, err := os.MkdirTemp(parent, reservedPrefix+"reserving-")
	if err != nil {
		return nil, sysErr("create state dir", err)
	}
	if err := fillReservation(tmp); err != nil {
		os.RemoveAll(tmp)
		return nil, sysErr("create state dir", err)
	}
	return &reservation{dir: tmp}, nil
}

// fillReservation makes the empty reservation file and exit record in
// the empty dir tmp.
func fillReservation(tmp string) error {
	for _, name := range []string{reservationName, exitRecordName} {
		fd, err := unix.Open(filepath.Join(tmp, name), unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return &os.PathError{Op: "create", Path: filepath.Join(tmp, name), Err: err}
		}
		unix.Close(fd)
	}
	return nil
}

// reuseReservation makes the dir of a deleted process, moved to the
// temporary name tmp, a spare reservation: its files removed (it must
// hold no other) and made anew. A dir kept is a directory block neither
// freed nor allocated again, which on some file systems (ext4 without a
// journal, mounted with discard) waits for the disk each time.
func reuseReservation(tmp string) (*reservation, error) {
	for _, name := range []string{processRecordName, exitRecordName} {
		if err := unix.Unlink(filepath.Join(tmp, name)); err != nil && err != unix.ENOENT {
			os.RemoveAll(tmp)
			return nil, sysErr("reuse state dir", err)
		}
	}
	err := fillReservation(tmp)
	if err == nil {
		var left []os.DirEntry
		if left, err = os.ReadDir(tmp); err == nil && len(left) != 2 {
			err = fmt.Errorf("%s holds other files", tmp)
		}
	}
	if err != nil {
		os.RemoveAll(tmp)
		return nil, sysErr("reuse state dir", err)
	}
	return &reservation{dir: tmp}, nil
}

// place locks a spare reservation and renames it into dir, for process
// id. On failure it is left as it was.
func (r *reservation) place(dir, id string) error {
	if err := r.hold(); err != nil {
		return sysErr("create state dir", err)
	}
	err := renameNoReplace(r.dir, dir)
	if errors.Is(err, unix.EEXIST) && removeDeadReservation(dir) {
		err = renameNoReplace(r.dir, dir)
	}
	switch {
	case err == nil:
		r.dir = dir
		return nil
	case errors.Is(err, unix.EEXIST), errors.Is(err, unix.ENOTEMPTY):
		err = wrapf(ErrExists, "process %q already exists", id)
	case errors.Is(err, syscall.ENAMETOOLONG):
		err = wrapf(ErrInvalid, "invalid id: process id of %d bytes is too long for a file name here", len(id))
	default:
		err = sysErr("create state dir", err)
	}
	r.release()
	return err
}

// hold opens and locks the reservation file of a spare.
func (r *reservation) hold() error {
	f, err := os.OpenFile(filepath.Join(r.dir, reservationName), os.O_RDWR|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return err
	}
	r.file = f
	return nil
}

// discard removes a reservation that was not placed.
func (r *reservation) discard() {
	r.release()
	os.RemoveAll(r.dir)
}

// note writes rec, which names the process once it is known, into the
// reservation file.
func (r *reservation) note(rec record) error {
	data, err := json.Marshal(rec)
	if err == nil {
		_, err = r.file.WriteAt(data, 0)
	}
	return sysErr("write "+reservationName, err)
}

// commit makes the reservation file, which holds the claimed process's
// record, the process record, and lets the dir go.
func (r *reservation) commit() error {
	err := os.Rename(filepath.Join(r.dir, reservationName), filepath.Join(r.dir, processRecordName))
	r.release()
	return sysErr("write "+processRecordName, err)
}

// release lets the dir go, as it is.
func (r *reservation) release() {
	if r.file != nil {
		r.file.Close()
		r.file = nil
	}
}

// removeDeadReservation removes dir when it is a reservation whose
// reserver died before its process was recorded, and says whether it did.
// A dir held by a live process, or with a process record, or whose
// process still lives, it never touches.
func removeDeadReservation(dir string) bool {
	f, err := os.OpenFile(filepath.Join(dir, reservationName), os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return false
	}
	if _, err := os.Lstat(filepath.Join(dir, processRecordName)); !isNotExist(err) {
		return false
	}
	var rec record
	buf := make([]byte, 4096)
	if n, _ := f.ReadAt(buf, 0); n > 0 {
		if json.Unmarshal(buf[:n], &rec) != nil {
			return false
		}
	}
	if rec.Pid > 0 {
		if st, err := readProcStat(rec.Pid); err == nil && st.startTime == rec.StartTime {
			return false
		}
	}
	aside := filepath.Join(filepath.Dir(dir), fmt.Sprintf("%sdead-%d-%d", reservedPrefix, os.Getpid(), time.Now().UnixNano()))
	if renameNoReplace(dir, aside) != nil {
		return false
	}
	logf(LogDebug, "removed state dir %s, whose reserver died before its process was recorded", dir)
	os.RemoveAll(aside)
	return true
}

// renameNoReplace renames from to to, EEXIST when to exists.
func renameNoReplace(from, to string) error {
	return unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
}
