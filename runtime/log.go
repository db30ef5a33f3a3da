package runtime

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// LogLevel is the severity of a diagnostic message; a smaller value is more
// severe. The values are those of the C API's EXEC_LOG_*.
type LogLevel int

// The levels, most severe first.
const (
	LogError LogLevel = 1 // a fault the library could not hide: an exit became unknown
	LogWarn  LogLevel = 2 // a fault the library worked around, or a failed runtime call
	LogInfo  LogLevel = 3 // a monitor started, a message retried
	LogDebug LogLevel = 4 // the runtime's log lines of every call
)

// LogFunc receives one diagnostic message. It is called from one
// goroutine of the library's, one message at a time, in the order the
// messages were logged, never while the library holds a lock.
type LogFunc func(level LogLevel, message string)

// logQueueSize is how many messages wait for delivery at most; beyond it
// messages are dropped and counted, and the count is delivered later.
const logQueueSize = 1024

type logEntry struct {
	level LogLevel
	msg   string
}

// logger is the process's log sink: a bounded queue that one goroutine
// drains into the function SetLogger set.
var logger struct {
	maxLevel atomic.Int32            // 0 when off: nothing is queued
	fn       atomic.Pointer[LogFunc] // nil when off
	dropped  atomic.Uint64
	start    sync.Once
	queue    chan logEntry
	// delivering is held while fn runs, so that SetLogger can wait until
	// a call of the previous function ends.
	delivering sync.Mutex
}

// SetLogger sends the library's diagnostics up to maxLevel to fn, or turns
// them off (fn nil or maxLevel < LogError). Messages already queued go to
// the new function. Unless called from inside the current function (as
// delivering says), it returns only after a call of the previous function
// that is under way has returned, so that the previous function is never
// called again once it returns.
func SetLogger(fn LogFunc, maxLevel LogLevel, delivering bool) {
	logger.start.Do(func() {
		logger.queue = make(chan logEntry, logQueueSize)
		go deliverLogs()
	})
	if fn == nil || maxLevel < LogError {
		logger.maxLevel.Store(0)
		logger.fn.Store(nil)
	} else {
		if maxLevel > LogDebug {
			maxLevel = LogDebug
		}
		logger.fn.Store(&fn)
		logger.maxLevel.Store(int32(maxLevel))
	}
	if !delivering {
		logger.delivering.Lock()
		logger.delivering.Unlock()
	}
}

// logEnabled tells whether a message at level would be delivered.
func logEnabled(level LogLevel) bool {
	return int32(level) <= logger.maxLevel.Load()
}

// logf queues a message at level when it is enabled. It never blocks: with
// the queue full the message is dropped and counted.
func logf(level LogLevel, format string, args ...any) {
	if !logEnabled(level) {
		return
	}
	select {
	case logger.queue <- logEntry{level, fmt.Sprintf(format, args...)}:
	default:
		logger.dropped.Add(1)
	}
}

// deliverLogs hands the queued messages to the current function, and after
// a message the number dropped since the last report, if any.
func deliverLogs() {
	for e := range logger.queue {
		deliverLog(e)
		if n := logger.dropped.Swap(0); n > 0 {
			deliverLog(logEntry{LogWarn, fmt.Sprintf("%d log messages dropped: the log queue was full", n)})
		}
	}
}

// deliverLog calls the current function with one message, if it still
// wants that level; a panic in the function is ignored.
func deliverLog(e logEntry) {
	logger.delivering.Lock()
	defer logger.delivering.Unlock()
	fn := logger.fn.Load()
	if fn == nil || !logEnabled(e.level) {
		return
	}
	defer func() { recover() }()
	(*fn)(e.level, e.msg)
}
