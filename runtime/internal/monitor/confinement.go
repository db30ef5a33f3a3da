package monitor

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"
)

// errConfinedMonitor marks a monitor that refused this process: its
// confinement (seccomp, no_new_privs, capabilities, LSM label), which a
// call the monitor spawns would not have, is not the monitor's.
var errConfinedMonitor = errors.New("the monitor is confined otherwise than this process")

// ownConfinement tells what confines this process, as a key naming its
// own monitor, and whether it is confined beyond the common case (a
// seccomp filter or no_new_privs): such a process never starts the root's
// shared monitor, which others would then share with its confinement.
func ownConfinement() (key string, confined bool) {
	status, _ := os.ReadFile("/proc/self/status")
	label, _ := os.ReadFile("/proc/self/attr/current")
	fields := map[string]string{}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	label, _, _ = bytes.Cut(label, []byte("\n"))
	var b strings.Builder
	for _, k := range []string{"Seccomp", "Seccomp_filters", "NoNewPrivs", "CapEff", "CapBnd"} {
		fmt.Fprintf(&b, "%s=%s\n", k, fields[k])
	}
	fmt.Fprintf(&b, "label=%s\n", bytes.TrimRight(label, "\x00"))
	sum := sha256.Sum256([]byte(b.String()))
	confined = fields["Seccomp"] != "0" || fields["NoNewPrivs"] != "0"
	return fmt.Sprintf("%x", sum[:6]), confined
}

// monitorConfined names the monitor of the processes confined as key.
func monitorConfined(key string) monitorFiles {
	return monitorFiles{fmt.Sprintf("monitor.v%d.%s.sock", ProtoVersion, key),
		fmt.Sprintf("monitor.v%d.%s.lock", ProtoVersion, key)}
}
