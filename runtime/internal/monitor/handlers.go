package monitor

import "fmt"

// Handlers are what the lifecycle does with what a connection receives
// beside replies and the exits of spawned calls. SetHandlers sets them
// once, before the first connection; each runs on the connection's reader.
type Handlers struct {
	// Exit gets each MsgExit: the exit of a claimed process.
	Exit func(m Msg)
	// Overflow runs after the monitor dropped exits and events meant for
	// the connection, which did not read them in time.
	Overflow func(c *Conn)
	// Lost runs once when a connection ends.
	Lost func(c *Conn)
	// Log gets a diagnostic at a level of runtime.LogLevel.
	Log func(level int, msg string)
}

var handlers Handlers

// SetHandlers sets the lifecycle's handlers.
func SetHandlers(h Handlers) { handlers = h }

// The levels of Handlers.Log used here.
const (
	logError = 1
	logWarn  = 2
	logInfo  = 3
)

// logf sends a diagnostic to Handlers.Log.
func logf(level int, format string, args ...any) {
	if handlers.Log != nil {
		handlers.Log(level, fmt.Sprintf(format, args...))
	}
}
