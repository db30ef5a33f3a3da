package runtime

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/libexecution/execution/runtime/internal/monitor"
)

// The library's side of monitor/agent.h: change both together.
const (
	agentProtoVersion = 1
	agentMaxMsg       = 256 * 1024
)

// Message types.
const (
	agentStart = 1
	agentReady = 2
)

// agentTerminal is the START flag of a process with a pty.
const agentTerminal = 1

// Stages of a failed START, and of a failed exec on the status pipe.
const (
	agentStageRequest  = 1
	agentStageFork     = 2
	agentStageTerminal = 3
	agentStageStdio    = 4
	agentStageRlimits  = 5
	agentStageCwd      = 7
	agentStageLookup   = 8
	agentStagePidfd    = 9
	agentStageExec     = 10
)

// agentStageNames name the stages in messages.
var agentStageNames = map[int32]string{
	agentStageRequest: "request", agentStageFork: "fork", agentStageTerminal: "terminal",
	agentStageStdio: "stdio", agentStageRlimits: "rlimits",
	agentStageCwd: "cwd", agentStageLookup: "program lookup", agentStagePidfd: "pidfd",
	agentStageExec: "exec",
}

// agentMsg is struct agent_msg.
type agentMsg struct {
	Version uint32
	Type    uint32
	Err     int32
	Stage   int32
	Pid     int32
	Flags   uint32
	Rows    uint32
	Cols    uint32
}

// agentStatus is struct agent_status, what the status pipe says.
type agentStatus struct {
	Stage int32
	Err   int32
}

var (
	agentMsgSize    = binary.Size(agentMsg{})
	agentStatusSize = binary.Size(agentStatus{})
)

// encode lays out m and the strings area (monitor.Strings' layout).
func (m agentMsg) encode(strs *monitor.Strings) []byte {
	var b bytes.Buffer
	m.Version = agentProtoVersion
	binary.Write(&b, binary.NativeEndian, m)
	if strs != nil {
		b.Write(strs.Bytes())
	}
	return b.Bytes()
}

func decodeAgentMsg(data []byte) (agentMsg, error) {
	var m agentMsg
	if len(data) < agentMsgSize {
		return m, fmt.Errorf("the agent sent %d bytes, a message has %d", len(data), agentMsgSize)
	}
	binary.Read(bytes.NewReader(data[:agentMsgSize]), binary.NativeEndian, &m)
	if m.Version != agentProtoVersion {
		return m, fmt.Errorf("the agent speaks protocol %d, the library %d", m.Version, agentProtoVersion)
	}
	return m, nil
}
