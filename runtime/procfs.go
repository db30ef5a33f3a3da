package runtime

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/libexecution/execution/runtime/internal/rawfile"
)

// procStat is what this package reads from /proc/<pid>/stat.
type procStat struct {
	state     byte
	ppid      int
	startTime uint64 // clock ticks after boot; with the pid, identifies a process
}

// readProcStat parses /proc/<pid>/stat. The command name may hold spaces and
// parentheses, so fields are counted after its last ')'.
func readProcStat(pid int) (procStat, error) {
	data, err := rawfile.Read("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return procStat{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	fields := bytes.Fields(data[end+1:])
	// fields[0] is field 3 (state); ppid is field 4, starttime field 22.
	if len(fields) < 20 {
		return procStat{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	ppid, err := strconv.Atoi(string(fields[1]))
	if err != nil {
		return procStat{}, fmt.Errorf("malformed /proc/%d/stat: %w", pid, err)
	}
	start, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("malformed /proc/%d/stat: %w", pid, err)
	}
	return procStat{state: fields[0][0], ppid: ppid, startTime: start}, nil
}
