package runtime

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
)

// The library's side of monitor/protocol.h: change both together.
const (
	monProtoVersion = 5
	monMaxMsg       = 64 * 1024
	monMaxStrings   = 16 * 1024 * 1024
	monMaxFds       = 16
)

// monOldestVersion is the oldest protocol version this side speaks.
const monOldestVersion = monProtoVersion

// Message types.
const (
	monHello     = 1
	monSpawn     = 2
	monCancel    = 3
	monClaim     = 4
	monQuery     = 5
	monSignal    = 6
	monCallExit  = 7
	monExit      = 8
	monReply     = 9
	monSubscribe = 10
	monEvent     = 11
	monOverflow  = 12
	monUnguard   = 13
)

// monSpawnGuard is the SPAWN flag, beside the event mask, of a guarded call.
const monSpawnGuard = 1 << 16

// monSpawnContext, in a SPAWN's failed reply, says that the caller's
// context (its mount namespace) could not be read or joined.
const monSpawnContext = 1

// MON_CLAIM flags: monClaimKillOrphan asks the monitor to kill a claimed
// process, and run its cleanup command, when the claiming connection ends
// while it lives; monClaimOOMSigkill counts an OOM kill only for a death by
// SIGKILL.
// monClaimFresh refuses a pid already claimed, and monClaimAdded publishes
// EXEC_ADDED first: for a process an agent started.
const (
	monClaimKillOrphan = 1
	monClaimOOMSigkill = 2
	monClaimFresh      = 4
	monClaimAdded      = 8
)

// Process states in a reply.
const (
	monLive   = 1
	monExited = 2
)

// monMsg is struct mon_msg; a packet is its fixed part, then a strings area.
type monMsg struct {
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

// monMsgSize is sizeof(struct mon_msg).
var monMsgSize = binary.Size(monMsg{})

// encode lays out m and the strings area: each string NUL-terminated, each
// list closed by an empty string.
func (m monMsg) encode(strs *monStrings) []byte {
	var b bytes.Buffer
	m.Version = monProtoVersion
	binary.Write(&b, binary.NativeEndian, m)
	if strs != nil {
		b.Write(strs.buf.Bytes())
	}
	return b.Bytes()
}

// monMsgHead is the part of a message every version shares: version,
// type and seq.
const monMsgHead = 16

// decodeMonMsg reads a message. A message of another version is read as
// far as this version's fields go, for a refused HELLO; its caller checks
// the version.
func decodeMonMsg(data []byte) (monMsg, error) {
	var m monMsg
	if len(data) < monMsgHead {
		return m, fmt.Errorf("monitor sent %d bytes, a message has %d", len(data), monMsgSize)
	}
	if len(data) < monMsgSize {
		data = append(append([]byte{}, data...), make([]byte, monMsgSize-len(data))...)
	}
	binary.Read(bytes.NewReader(data[:monMsgSize]), binary.NativeEndian, &m)
	return m, nil
}

// encodeWithStrings lays out m and strs as encode does; a strings area too
// large for a packet goes into a sealed memfd instead, which the caller
// passes after the message's other fds and closes.
func (m monMsg) encodeWithStrings(strs *monStrings) ([]byte, *os.File, error) {
	if strs == nil || monMsgSize+strs.buf.Len() <= monMaxMsg {
		return m.encode(strs), nil, nil
	}
	n := strs.buf.Len()
	if n > monMaxStrings {
		return nil, nil, wrapf(ErrInvalid, "the runtime's arguments and environment take %d bytes, more than the %d the monitor takes",
			n, monMaxStrings)
	}
	f, err := sealedMemfd("execution-strings", strs.buf.Bytes(), 0)
	if err != nil {
		return nil, nil, err
	}
	m.StringsLen = uint64(n)
	return m.encode(nil), f, nil
}

// monStrings builds a strings area.
type monStrings struct{ buf bytes.Buffer }

func (s *monStrings) str(v string) *monStrings {
	s.buf.WriteString(v)
	s.buf.WriteByte(0)
	return s
}

func (s *monStrings) list(v []string) *monStrings {
	for _, e := range v {
		if e != "" {
			s.str(e)
		}
	}
	return s.str("")
}

// hasNUL tells whether a string cannot cross the protocol intact.
func hasNUL(vs ...string) bool {
	for _, v := range vs {
		if bytes.IndexByte([]byte(v), 0) >= 0 {
			return true
		}
	}
	return false
}
