package runtime

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
}

// makeStateDir reserves a state dir: an existing one means the id is in use.
func makeStateDir(dir, what, id string) error {
	err := os.Mkdir(dir, 0o700)
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
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return sysErr("write "+filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return sysErr("write "+filepath.Base(path), err)
	}
	return nil
}

// readJSON reads path into v.
func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// readPidFile reads a pid file the runtime wrote.
func readPidFile(path string) (int, error) {
	data, err := os.ReadFile(path)
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
// exit record, while the process runs: recording the exit then only writes
// into an existing file. Creating a file is the slow part on some file
// systems, and every waiter waits for the record.
func prepareExitRecord(dir, pidFile string) error {
	path := filepath.Join(dir, exitRecordName)
	if err := os.Rename(pidFile, path); err != nil {
		return sysErr("prepare exit record", err)
	}
	return sysErr("prepare exit record", os.Truncate(path, 0))
}

// exitRecorder persists an exit into dir's prepared (empty) record, if dir
// still exists, with what the cgroup tells of an OOM kill (see oomRecorded).
// A reader sees an empty record, or a whole one: the JSON is written with one
// write, and a torn one does not parse.
func exitRecorder(dir string) func(Exit) Exit {
	path := filepath.Join(dir, exitRecordName)
	return func(e Exit) Exit {
		e = oomRecorded(dir, e)
		data, err := json.Marshal(e)
		if err != nil {
			return e
		}
		f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			if _, serr := os.Stat(dir); serr == nil {
				writeJSON(path, e)
			}
			return e
		}
		f.Write(data)
		f.Close()
		return e
	}
}

// recordedExit reads the exit recorded in dir, if any.
func recordedExit(dir string) (Exit, bool) {
	var e Exit
	if readJSON(filepath.Join(dir, exitRecordName), &e) != nil {
		return Exit{}, false
	}
	return e, true
}

// newRecord describes a process just started with the given pid.
func newRecord(id, bundle string, pid int, terminal bool) (record, error) {
	st, err := readProcStat(pid)
	if err != nil {
		return record{}, sysErr("read process start time", err)
	}
	return record{ID: id, Bundle: bundle, Pid: pid, StartTime: st.startTime, Terminal: terminal}, nil
}

// followRecord returns the watch of the process a state dir records: shared
// when this process watches it already, else its recorded exit, else a new
// watch when the same process (pid and start time) still exists.
func followRecord(dir string, rec record) (*exitWatch, error) {
	watches.Lock()
	w, ok := watches.m[rec.Pid]
	watches.Unlock()
	if ok {
		return w, nil
	}
	if e, ok := recordedExit(dir); ok {
		return finishedWatch(rec.Pid, e, nil), nil
	}
	if st, err := readProcStat(rec.Pid); err != nil || st.startTime != rec.StartTime {
		if e, ok := recordedExit(dir); ok {
			return finishedWatch(rec.Pid, e, nil), nil
		}
		return finishedWatch(rec.Pid, Exit{}, wrapf(ErrSys,
			"exit status of pid %d is unknown: it exited while no process of this library was its parent", rec.Pid)), nil
	}
	return watchProcess(rec.Pid, exitRecorder(dir))
}
