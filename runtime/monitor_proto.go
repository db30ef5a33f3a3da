package runtime

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// The library's side of monitor/protocol.h: change both together.
const (
	monProtoVersion = 2
	monMaxMsg       = 256 * 1024
	monMaxFds       = 16
)

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
)

// MON_CLAIM flags: monClaimKillOrphan asks the monitor to kill a claimed
// process, and run its cleanup command, when the claiming connection ends
// while it lives; monClaimOOMSigkill counts an OOM kill only for a death by
// SIGKILL.
const (
	monClaimKillOrphan = 1
	monClaimOOMSigkill = 2
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

func decodeMonMsg(data []byte) (monMsg, error) {
	var m monMsg
	if len(data) < monMsgSize {
		return m, fmt.Errorf("monitor sent %d bytes, a message has %d", len(data), monMsgSize)
	}
	binary.Read(bytes.NewReader(data[:monMsgSize]), binary.NativeEndian, &m)
	if m.Version != monProtoVersion {
		return m, fmt.Errorf("monitor speaks protocol %d, the library %d", m.Version, monProtoVersion)
	}
	return m, nil
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
