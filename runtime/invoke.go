package runtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	runc "github.com/containerd/go-runc"
)

// call is one invocation of the runtime binary: a go-runc client whose log
// goes to a file of its own (so concurrent calls never mix their errors), and
// a deadline.
type call struct {
	rt      *Runtime
	op      string
	client  *runc.Runc
	logPath string // per-call log, read for the error and then removed
	ctx     context.Context
	cancel  context.CancelFunc
}

// newCall prepares an invocation. A non-empty logPath captures the runtime's
// log there: needed by the calls whose stderr is the container's.
func (r *Runtime) newCall(ctx context.Context, op, logPath string) *call {
	c := &call{rt: r, op: op, logPath: logPath}
	c.ctx, c.cancel = context.WithTimeout(ctx, r.callTimeout)
	client := *r.client
	switch {
	case logPath != "":
		client.Log = logPath
	case r.logPath != "":
		client.Log = r.logPath
	}
	c.client = &client
	return c
}

// done releases the call, turning err into this package's error and keeping
// the runtime's log in the user's log file when one was asked for.
func (c *call) done(err error) error {
	defer c.cancel()
	var logged []byte
	if c.logPath != "" {
		logged, _ = os.ReadFile(c.logPath)
		os.Remove(c.logPath)
		c.rt.appendUserLog(logged)
	}
	if err == nil {
		return nil
	}
	if errors.Is(c.ctx.Err(), context.DeadlineExceeded) {
		return wrapf(ErrTimeout, "%s %s: no answer within %v", c.rt.name, c.op, c.rt.callTimeout)
	}
	msg := runtimeMessage(logged)
	if msg == "" {
		msg = runtimeMessage([]byte(err.Error()))
	}
	return &kindError{kind: ErrRuntime, msg: fmt.Sprintf("%s %s: %s", c.rt.name, c.op, msg), cause: err}
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
	level = strings.Fields(line[i+len("level="):])[0]
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
