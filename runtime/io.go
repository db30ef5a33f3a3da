package runtime

// Stream says where one standard stream of a container or process goes: a
// file descriptor of the caller (>= 0, duplicated by the library), or one of
// StreamNull and StreamPipe.
type Stream int

const (
	// StreamNull connects the stream to /dev/null.
	StreamNull Stream = -1
	// StreamPipe makes a pipe whose other end Stdio hands over.
	StreamPipe Stream = -2
)

// IO is the standard streams of a container or process. With Terminal set
// the process gets a pty instead and the three streams are ignored.
type IO struct {
	Stdin, Stdout, Stderr Stream
	Terminal              bool
}

// NullIO connects all three streams to /dev/null.
func NullIO() IO {
	return IO{Stdin: StreamNull, Stdout: StreamNull, Stderr: StreamNull}
}

// Stream numbers for Stdio.
const (
	Stdin  = 0
	Stdout = 1
	Stderr = 2
)
