package monitor

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"

	"github.com/libexecution/execution/runtime/internal/errdefs"
)

// The library's side of monitor/protocol.h: change both together.
const (
	ProtoVersion = 8
	MaxMsg       = 64 * 1024
	MaxStrings   = 16 * 1024 * 1024
	MaxFds       = 69
)

// OldestVersion is the oldest protocol version this side speaks.
const OldestVersion = ProtoVersion

// Message types.
const (
	MsgHello     = 1
	MsgSpawn     = 2
	MsgCancel    = 3
	MsgClaim     = 4
	MsgQuery     = 5
	MsgSignal    = 6
	MsgCallExit  = 7
	MsgExit      = 8
	MsgReply     = 9
	MsgSubscribe = 10
	MsgEvent     = 11
	MsgOverflow  = 12
	MsgUnguard   = 13
	MsgStart     = 14
	MsgWhere     = 15
)

// SPAWN flags, beside the event mask: SpawnGuard of a guarded call,
// SpawnPrime of a program that moves a process into cgroups (the
// monitor then starts the kernel's wait before such a move at once).
const (
	SpawnGuard = 1 << 16
	SpawnPrime = 1 << 17
)

// SpawnContext, in a SPAWN's failed reply, says that the caller's
// context (its mount namespace) could not be read or joined.
const SpawnContext = 1

// MON_CLAIM flags: ClaimKillOrphan asks the monitor to kill a claimed
// process, and run its cleanup command, when the claiming connection ends
// while it lives; ClaimOOMSigkill counts an OOM kill only for a death by
// SIGKILL. ClaimFresh refuses a pid already claimed, and ClaimAdded
// publishes EXEC_ADDED first: for a process an agent started. With
// ClaimRelease the claim passes the pipe the process waits on before its
// exec, and the monitor writes its byte once the process is claimed (the
// reply's Count: the write's errno, when it failed and the process was
// killed).
const (
	ClaimKillOrphan = 1
	ClaimOOMSigkill = 2
	ClaimFresh      = 4
	ClaimAdded      = 8
	ClaimRelease    = 16
)

// Process states in a reply.
const (
	StateLive   = 1
	StateExited = 2
)

// Msg is struct mon_msg; a packet is its fixed part, then a strings area.
type Msg struct {
	Version uint32
	Type    uint32
	Seq     uint64
	Pid     int64
	Start   uint64
	Arg     int64
	Count   uint64
	Err     int32
	State   int32
	WStatus int32
	NFds    uint32
	// StringsLen, when not 0, is the size of the memfd passed after the
	// program's fds that holds the strings area instead of the packet.
	StringsLen uint64
}

// MsgSize is sizeof(struct mon_msg).
var MsgSize = binary.Size(Msg{})

// Encode lays out m and the strings area: each string NUL-terminated, each
// list closed by an empty string.
func (m Msg) Encode(strs *Strings) []byte {
	var b bytes.Buffer
	m.Version = ProtoVersion
	binary.Write(&b, binary.NativeEndian, m)
	if strs != nil {
		b.Write(strs.buf.Bytes())
	}
	return b.Bytes()
}

// MsgHead is the part of a message every version shares: version,
// type and seq.
const MsgHead = 16

// DecodeMsg reads a message. A message of another version is read as
// far as this version's fields go, for a refused HELLO; its caller checks
// the version.
func DecodeMsg(data []byte) (Msg, error) {
	var m Msg
	if len(data) < MsgHead {
		return m, fmt.Errorf("monitor sent %d bytes, a message has %d", len(data), MsgSize)
	}
	if len(data) < MsgSize {
		data = append(append([]byte{}, data...), make([]byte, MsgSize-len(data))...)
	}
	binary.Read(bytes.NewReader(data[:MsgSize]), binary.NativeEndian, &m)
	return m, nil
}

// encodeWithStrings lays out m and strs as Encode does; a strings area too
// large for a packet goes into a sealed memfd instead, which the caller
// passes after the message's other fds and closes.
func (m Msg) encodeWithStrings(strs *Strings) ([]byte, *os.File, error) {
	if strs == nil || MsgSize+strs.buf.Len() <= MaxMsg {
		return m.Encode(strs), nil, nil
	}
	n := strs.buf.Len()
	if n > MaxStrings {
		return nil, nil, errdefs.Wrapf(errdefs.ErrInvalid, "the runtime's arguments and environment take %d bytes, more than the %d the monitor takes",
			n, MaxStrings)
	}
	f, err := sealedMemfd("execution-strings", strs.buf.Bytes(), 0)
	if err != nil {
		return nil, nil, err
	}
	m.StringsLen = uint64(n)
	return m.Encode(nil), f, nil
}

// Strings builds a strings area.
type Strings struct{ buf bytes.Buffer }

// Str adds a string.
func (s *Strings) Str(v string) *Strings {
	s.buf.WriteString(v)
	s.buf.WriteByte(0)
	return s
}

// List adds a list of strings, leaving out empty ones.
func (s *Strings) List(v []string) *Strings {
	for _, e := range v {
		if e != "" {
			s.Str(e)
		}
	}
	return s.Str("")
}

// Bytes is the strings area laid out so far.
func (s *Strings) Bytes() []byte { return s.buf.Bytes() }

// HasNUL tells whether a string cannot cross the protocol intact.
func HasNUL(vs ...string) bool {
	for _, v := range vs {
		if bytes.IndexByte([]byte(v), 0) >= 0 {
			return true
		}
	}
	return false
}
