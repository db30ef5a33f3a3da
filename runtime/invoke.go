package runtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	runc "github.com/containerd/go-runc"
	"golang.org/x/sys/unix"
)

// call is one invocation of the runtime binary through a go-runc client,
// with a deadline. go-runc hands the command it builds to the spawner
// (spawner.go), which finds the call by the key its context adds to the
// command's environment, and has the monitor run it.
type call struct {
	rt     *Runtime
	op     string
	key    uint64
	client *runc.Runc
	log    *os.File  // the call's own log, for calls whose stderr is the container's
	event  callEvent // what the monitor publishes when the call succeeds
	ctx    context.Context
	cancel context.CancelFunc
	// guard, when set, is what the monitor undoes if this process dies
	// before the call is settled; guarded is the spawn it names.
	guard   *callGuard
	guarded *spawned
	// extra are files the runtime gets after its stdio and the command's
	// own extra files, for --preserve-fds.
	extra []*os.File
}

// newCall prepares an invocation whose errors the runtime writes to its
// stderr, which go-runc captures.
func (r *Runtime) newCall(ctx context.Context, op string) *call {
	c := &call{rt: r, op: op}
	c.ctx, c.cancel = context.WithTimeout(ctx, r.callTimeout)
	c.key = liveCalls.add(c)
	c.ctx = runc.WithExtraEnv(c.ctx, fmt.Sprintf("%s=%d", callEnvKey, c.key))
	client := *r.client
	if r.logPath != "" {
		client.Log = r.logPath
	}
	c.client = &client
	return c
}

// newLoggedCall prepares an invocation whose stderr is the container's: the
// runtime's log goes to a memfd of the call's own, which the runtime opens
// as /proc/<pid>/fd/<n>. Concurrent calls never mix their errors, and no log
// file touches the disk.
func (r *Runtime) newLoggedCall(ctx context.Context, op string) (*call, error) {
	fd, err := unix.MemfdCreate("runtime-log", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, sysErr("memfd_create", err)
	}
	c := r.newCall(ctx, op)
	c.log = os.NewFile(uintptr(fd), "runtime-log")
	c.client.Log = c.logPath()
	return c, nil
}

// logPath is the path through which the runtime opens the call's log.
func (c *call) logPath() string {
	return fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), c.log.Fd())
}

// unguard tells the monitor that a guarded call is settled: recorded, or
// undone.
func (c *call) unguard() {
	if c.guarded != nil {
		c.guarded.unguard()
		c.guarded = nil
	}
}

// done releases the call, turning err into this package's error and keeping
// the runtime's log in the user's log file when one was asked for; it
// logs a failure at LogWarn with what the runtime said, and the lines the
// runtime logged in a call that succeeded at LogDebug.
func (c *call) done(err error) error {
	defer c.cancel()
	liveCalls.remove(c.key)
	var logged []byte
	if c.log != nil {
		logged, _ = io.ReadAll(io.NewSectionReader(c.log, 0, 1<<20))
		c.log.Close()
		c.rt.appendUserLog(logged)
	}
	if err == nil {
		if logEnabled(LogDebug) {
			for _, line := range strings.Split(string(logged), "\n") {
				if line = strings.TrimSpace(line); line != "" {
					logf(LogDebug, "%s %s: %s", c.rt.name, c.op, line)
				}
			}
		}
		return nil
	}
	if errors.Is(err, ErrInvalid) || errors.Is(err, ErrSys) {
		return err
	}
	if errors.Is(c.ctx.Err(), context.DeadlineExceeded) {
		return wrapf(ErrTimeout, "%s %s: no answer within %v", c.rt.name, c.op, c.rt.callTimeout)
	}
	msg := runtimeMessage(logged)
	if msg == "" {
		msg = runtimeMessage([]byte(err.Error()))
	}
	if logEnabled(LogWarn) {
		said := strings.TrimSpace(string(logged))
		if said == "" {
			said = strings.TrimSpace(err.Error())
		}
		logf(LogWarn, "%s %s failed: %s", c.rt.name, c.op, said)
	}
	return withCause(ErrRuntime, fmt.Sprintf("%s %s: %s", c.rt.name, c.op, msg), err)
}

// runtimeMessage extracts the error lines from runtime output: JSON log lines
// ({"level":"error","msg":...}), logrus text lines (level=error msg="..."),
// or else the text as it is.
func runtimeMessage(out []byte) string {
	var msgs []string
	plain := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if level, msg, ok := parseLogLine(line); ok {
			if level == "error" || level == "fatal" || level == "panic" {
				msgs = append(msgs, msg)
			}
			continue
		}
		plain = true
		msgs = append(msgs, line)
	}
	if !plain && len(msgs) == 0 {
		return ""
	}
	return strings.Join(dedupe(msgs), "; ")
}

// parseLogLine reads one runtime log line in JSON or logrus text format.
func parseLogLine(line string) (level, msg string, ok bool) {
	if strings.HasPrefix(line, "{") {
		var entry struct{ Level, Msg string }
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Level != "" {
			return entry.Level, entry.Msg, true
		}
		return "", "", false
	}
	i := strings.Index(line, "level=")
	j := strings.Index(line, "msg=")
	if i < 0 || j < 0 {
		return "", "", false
	}
	fields := strings.Fields(line[i+len("level="):])
	if len(fields) == 0 {
		return "", "", false
	}
	level = fields[0]
	msg = line[j+len("msg="):]
	if unq, err := unquotePrefix(msg); err == nil {
		msg = unq
	}
	return level, msg, true
}

// unquotePrefix unquotes a Go-quoted string at the start of s.
func unquotePrefix(s string) (string, error) {
	if !strings.HasPrefix(s, `"`) {
		return strings.Fields(s + " x")[0], nil
	}
	for end := 1; end < len(s); end++ {
		if s[end] == '"' && s[end-1] != '\\' {
			var out string
			err := json.Unmarshal([]byte(s[:end+1]), &out)
			return out, err
		}
	}
	return s, nil
}

func dedupe(msgs []string) []string {
	seen := map[string]bool{}
	out := msgs[:0]
	for _, m := range msgs {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}
