package runtime

import (
	"context"
	"path/filepath"
	"time"
)

// launched is a process the runtime binary just started into a state dir:
// a container init or an exec'd process.
type launched struct {
	rec     record
	watch   *exitWatch // set as soon as it follows the process
	streams *streams
}

// adopt takes over the process the runtime started into dir: reads the pid
// file, watches the process, takes the handle's stream ends and the pty
// master (waiting at most timeout), and writes the state dir's record under
// recordName. On failure l.watch, if set, still follows the process for the
// caller's cleanup.
func adopt(ctx context.Context, timeout time.Duration, l *launched, dir, recordName string,
	st *stdio, sock *consoleSocket) error {
	pidFile := filepath.Join(dir, pidFileName)
	pid, err := readPidFile(pidFile)
	if err != nil {
		return err
	}
	if l.rec, err = newRecord(l.rec.ID, l.rec.Bundle, pid, l.rec.Terminal); err != nil {
		return err
	}
	if err := prepareExitRecord(dir, pidFile); err != nil {
		return err
	}
	noteCgroup(dir, pid, recordName == containerRecordName)
	if l.watch, err = watchProcess(pid, exitRecorder(dir)); err != nil {
		return err
	}
	l.streams = st.handover(l.rec.Terminal)
	if sock != nil {
		rctx, cancel := context.WithTimeout(ctx, timeout)
		l.streams.master, err = sock.receive(rctx)
		cancel()
		if err != nil {
			l.streams.close()
			return err
		}
	}
	if err := writeJSON(filepath.Join(dir, recordName), l.rec); err != nil {
		l.streams.close()
		return err
	}
	return nil
}

// follow returns the watch of the launched process for a cleanup, starting
// one from its pid (or dir's pid file) when adopt stopped before watching
// it; nil when the runtime started no process.
func (l *launched) follow(dir string) *exitWatch {
	if l.watch != nil {
		return l.watch
	}
	pid := l.rec.Pid
	if pid == 0 {
		pid, _ = readPidFile(filepath.Join(dir, pidFileName))
	}
	if pid > 0 {
		l.watch, _ = watchProcess(pid, nil)
	}
	return l.watch
}
