package runtime

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// logCollector gathers the messages SetLogger delivers.
type logCollector struct {
	mu   sync.Mutex
	msgs []logEntry
}

func (l *logCollector) log(level LogLevel, msg string) {
	l.mu.Lock()
	l.msgs = append(l.msgs, logEntry{level, msg})
	l.mu.Unlock()
}

// waitFor waits until a message at level containing text arrived.
func (l *logCollector) waitFor(t *testing.T, level LogLevel, text string) {
	t.Helper()
	for i := 0; i < 3000; i++ {
		l.mu.Lock()
		for _, e := range l.msgs {
			if e.level == level && strings.Contains(e.msg, text) {
				l.mu.Unlock()
				return
			}
		}
		l.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no message at level %d containing %q in %v", level, text, l.msgs)
}

func TestLogRuntimeFailureAndMonitorStart(t *testing.T) {
	var l logCollector
	SetLogger(l.log, LogDebug, false)
	defer SetLogger(nil, 0, false)
	rt := newTestRuntime(t, Options{RuntimePath: failingRuntime(t)})
	if _, err := rt.Create(bg, testID(t), newBundle(t, false, "true"), NullIO()); err == nil {
		t.Fatal("create with a failing runtime succeeded")
	}
	l.waitFor(t, LogWarn, "deliberate failure in create")
	l.waitFor(t, LogInfo, "started the monitor of "+rt.root)
}

// A flood while the receiver is stuck drops messages and says how many;
// logging never blocks.
func TestLogFloodDropsWithCount(t *testing.T) {
	var l logCollector
	release := make(chan struct{})
	var once sync.Once
	SetLogger(func(level LogLevel, msg string) {
		once.Do(func() { <-release })
		l.log(level, msg)
	}, LogDebug, false)
	defer SetLogger(nil, 0, false)
	const n = 5000
	for i := 0; i < n; i++ {
		logf(LogInfo, "flood %d", i)
	}
	close(release)
	l.waitFor(t, LogWarn, "log messages dropped")
	// The messages queued before the count may still be on their way.
	var got, dropped int
	for i := 0; i < 3000; i++ {
		if got, dropped = l.floodCounts(t); got+dropped == n {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got+dropped != n || dropped == 0 {
		t.Errorf("delivered %d, dropped %d, of %d", got, dropped, n)
	}
}

// floodCounts tells how many flood messages came, and how many messages
// were said dropped.
func (l *logCollector) floodCounts(t *testing.T) (got, dropped int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.msgs {
		var d int
		if strings.HasPrefix(e.msg, "flood ") {
			got++
		} else if _, err := fmt.Sscanf(e.msg, "%d log messages dropped", &d); err == nil {
			dropped += d
		} else {
			t.Errorf("unexpected message %q", e.msg)
		}
	}
	return got, dropped
}

// Once SetLogger(nil) returns, the previous function is never called.
func TestLogOff(t *testing.T) {
	var l logCollector
	SetLogger(l.log, LogDebug, false)
	for i := 0; i < 100; i++ {
		logf(LogInfo, "before %d", i)
	}
	SetLogger(nil, 0, false)
	l.mu.Lock()
	before := len(l.msgs)
	l.mu.Unlock()
	for i := 0; i < 100; i++ {
		logf(LogInfo, "after %d", i)
	}
	time.Sleep(50 * time.Millisecond)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.msgs) != before {
		t.Errorf("%d messages after the logger was turned off", len(l.msgs)-before)
	}
}
