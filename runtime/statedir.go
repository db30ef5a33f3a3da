package runtime

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/libexecution/execution/runtime/internal/confined"
	"github.com/libexecution/execution/runtime/internal/monitor"
	"github.com/libexecution/execution/runtime/internal/rawfile"
	"golang.org/x/sys/unix"
)

// Files of a state dir: <root>/containers/<id>/ for a container, with
// processes/<id>/ below it for each exec'd process.
const (
	containerRecordName = "container.json"
	processRecordName   = "process.json"
	exitRecordName      = "exit.json"
	pidFileName         = "pid"
	processesDirName    = "processes"
)

// record is what a state dir keeps of its container init or process.
type record struct {
	ID        string `json:"id"`
	Bundle    string `json:"bundle,omitempty"`
	Pid       int    `json:"pid"`
	StartTime uint64 `json:"start_time"` // with Pid, identifies the process
	Terminal  bool   `json:"terminal,omitempty"`
	// FifoStart: the container may be started through the runtime's exec
	// fifo (Container.Start).
	FifoStart bool `json:"fifo_start,omitempty"`
	// Cgroup is where a container's init lives (see cgroupnote.go).
	Cgroup *cgroupNote `json:"cgroup,omitempty"`
}

// readRecord reads the record recordName of the state dir of `what` id.
func readRecord(dir, recordName, what, id string) (record, error) {
	var rec record
	err := readJSON(filepath.Join(dir, recordName), &rec)
	switch {
	case err == nil && rec.ID == id:
		return rec, nil
	case err == nil:
		return rec, wrapf(ErrInvalid, "the state record of %s %q is corrupt: it names %q", what, id, rec.ID)
	case isNotExist(err):
		return rec, wrapf(ErrNotFound, "no %s %q", what, id)
	case errors.Is(err, syscall.ENAMETOOLONG):
		return rec, wrapf(ErrInvalid, "invalid id: %s id of %d bytes is too long for a file name here", what, len(id))
	case errors.Is(err, os.ErrPermission):
		return rec, sysErr("read "+what+" record", err)
	default:
		return rec, wrapf(ErrInvalid, "the state record of %s %q is corrupt: %v", what, id, err)
	}
}

// lockDir takes an exclusive lock on a state dir, which serializes deletes
// across processes; a missing dir is ErrNotFound.
func lockDir(dir, what, id string) (unlock func(), err error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, wrapf(ErrNotFound, "%s %q was deleted", what, id)
		}
		return nil, sysErr("open state dir", err)
	}
	for {
		err = unix.Flock(fd, unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, sysErr("lock state dir", err)
	}
	return func() { unix.Close(fd) }, nil
}

// removeStateDir removes a state dir, its record first, so that a delete
// waiting on the dir's lock finds it gone.
func removeStateDir(dir, recordName string) error {
	if err := confined.Remove(filepath.Join(dir, recordName)); err != nil && !isNotExist(err) {
		return sysErr("remove state record", err)
	}
	return sysErr("remove state dir", confined.Remove(dir))
}

// makeStateDir reserves a state dir: an existing one means the id is in
// use, unless it is an agent exec's whose host died before its process was
// recorded (see reserveProcessDir).
func makeStateDir(dir, what, id string) error {
	err := os.Mkdir(dir, 0o700)
	if errors.Is(err, os.ErrExist) && removeDeadReservation(dir) {
		err = os.Mkdir(dir, 0o700)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, os.ErrExist):
		return wrapf(ErrExists, "%s %q already exists", what, id)
	case errors.Is(err, syscall.ENAMETOOLONG):
		return wrapf(ErrInvalid, "invalid id: %s id of %d bytes is too long for a file name here", what, len(id))
	default:
		return sysErr("create state dir", err)
	}
}

// writeJSON writes v to path atomically.
func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return sysErr("write "+filepath.Base(path), confined.Write(path, data))
}

// readJSON reads path into v.
func readJSON(path string, v any) error {
	data, err := confined.Read(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// readPidFile reads a pid file the runtime wrote.
func readPidFile(path string) (int, error) {
	data, err := rawfile.Read(path)
	if err != nil {
		return 0, sysErr("read pid file", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, wrapf(ErrRuntime, "runtime wrote a bad pid file: %q", data)
	}
	return pid, nil
}

// prepareExitRecord turns the pid file the runtime wrote into dir's empty
// exit record, while the process runs: the monitor then only writes into an
// existing file. Creating a file is the slow part on some file systems, and
// every waiter waits for the record. It returns the record's path.
func prepareExitRecord(dir string) (string, error) {
	path := filepath.Join(dir, exitRecordName)
	if err := os.Rename(filepath.Join(dir, pidFileName), path); err != nil && !isNotExist(err) {
		return "", sysErr("prepare exit record", err)
	}
	return path, sysErr("prepare exit record", os.Truncate(path, 0))
}

// recordedExit reads the exit recorded in dir, if any.
func recordedExit(dir string) (Exit, bool) {
	var e Exit
	if readJSON(filepath.Join(dir, exitRecordName), &e) != nil {
		return Exit{}, false
	}
	return e, true
}

// check refuses a record that cannot describe a process this library
// started: a forged or corrupted one would make load watch or signal
// another process.
func (rec record) check(what string) error {
	if rec.Pid <= 1 || rec.Pid == os.Getpid() || rec.StartTime == 0 {
		return wrapf(ErrInvalid, "the state record of %s %q is corrupt: pid %d, start time %d",
			what, rec.ID, rec.Pid, rec.StartTime)
	}
	return nil
}

// followRecord returns the watch of the process a state dir records:
// shared when this process watches it already, else its recorded exit,
// else followed by the monitor, else watched from outside.
func (r *Runtime) followRecord(dir, what string, rec record) (*exitWatch, error) {
	if err := rec.check(what); err != nil {
		return nil, err
	}
	if w := lookupWatch(int64(rec.Pid), rec.StartTime); w != nil {
		return w, nil
	}
	gone := func() *exitWatch {
		if e, ok := recordedExit(dir); ok {
			return finishedWatch(rec.Pid, rec.StartTime, dir, e, nil)
		}
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			return finishedWatch(rec.Pid, rec.StartTime, dir, Exit{}, wrapf(ErrNotFound,
				"%s %q was deleted", what, rec.ID))
		}
		return finishedWatch(rec.Pid, rec.StartTime, dir, Exit{}, wrapf(ErrSys,
			"exit status of pid %d is unknown: it exited while no monitor of this root was its parent", rec.Pid))
	}
	// A process gone, or a zombie its monitor has not reaped yet, is
	// asked about all the same: the monitor writes the record before it
	// lets the process go, so its answer decides.
	if _, ok := recordedExit(dir); ok || reaped(rec.Pid, rec.StartTime) {
		return gone(), nil
	}
	var w *exitWatch
	err := monitor.With(r.root, func(mon *monitor.Conn) error {
		_, err := mon.Request(monitor.Msg{Type: monitor.MsgQuery, Pid: int64(rec.Pid), Start: rec.StartTime}, nil, nil,
			func(reply monitor.Msg) {
				if reply.Err == 0 {
					w = sharedWatch(newWatch(rec.Pid, rec.StartTime, dir, mon))
				}
			})
		return err
	})
	switch {
	case err == nil:
		return w, nil
	case errors.Is(err, unix.ESRCH):
		return gone(), nil
	case !errors.Is(err, unix.ECHILD):
		return nil, sysErr("query monitor", err)
	}
	w = newWatch(rec.Pid, rec.StartTime, dir, nil)
	if shared := sharedWatch(w); shared != w {
		return shared, nil
	}
	w.followForeign()
	return w, nil
}
