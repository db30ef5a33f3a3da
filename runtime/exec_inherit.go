package runtime

import (
	"encoding/json"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// notInherited are the process fields an exec never takes from its
// container: its command and its terminal are its own.
var notInherited = []string{"args", "commandLine", "terminal", "consoleSize"}

// ProcessOver parses data, an OCI runtime-spec process object, over the
// container's own process, as docker exec does: each top-level field the
// object has replaces the container's (a whole "user" or "capabilities"
// object, a whole "env" list); each it lacks is the container's (user and
// groups, cwd, env, capabilities, rlimits, noNewPrivileges, apparmor
// profile, selinux label), except args, terminal and consoleSize.
func (c *Container) ProcessOver(data []byte) (specs.Process, error) {
	var given map[string]json.RawMessage
	if err := json.Unmarshal(data, &given); err != nil {
		return specs.Process{}, wrapf(ErrInvalid, "process_json is not an OCI process object: %v", err)
	}
	merged := map[string]json.RawMessage{}
	if _, bspec, err := readBundle(c.rec.Bundle); err == nil {
		own, _ := json.Marshal(bspec.Process)
		_ = json.Unmarshal(own, &merged)
		for _, k := range notInherited {
			delete(merged, k)
		}
	}
	for k, v := range given {
		merged[k] = v
	}
	text, _ := json.Marshal(merged)
	var p specs.Process
	if err := json.Unmarshal(text, &p); err != nil {
		return specs.Process{}, wrapf(ErrInvalid, "process_json is not an OCI process object: %v", err)
	}
	return p, nil
}
