package runtime

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"syscall"

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
	for k, v := range inheritedFields(c.rec.Bundle) {
		merged[k] = v
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

// inherited caches, per bundle, the fields of its process an exec
// inherits, while its config.json stays the same file, unchanged: an exec
// then costs a stat, not a parse of the whole config.
var inherited struct {
	sync.Mutex
	m map[string]inheritedEntry
}

type inheritedEntry struct {
	stamp  configStamp
	fields map[string]json.RawMessage // read only once cached
}

// configStamp tells one version of a file from another.
type configStamp struct {
	dev, ino, size   uint64
	mtimeNs, ctimeNs int64
}

// inheritedMax bounds the cache; beyond it, it starts again.
const inheritedMax = 256

// inheritedFields returns the fields of bundle's process an exec
// inherits; none when its config cannot be read.
func inheritedFields(bundle string) map[string]json.RawMessage {
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return nil
	}
	config := filepath.Join(abs, "config.json")
	var st syscall.Stat_t
	if syscall.Stat(config, &st) != nil {
		return nil
	}
	stamp := configStamp{uint64(st.Dev), st.Ino, uint64(st.Size), st.Mtim.Nano(), st.Ctim.Nano()}
	inherited.Lock()
	e, ok := inherited.m[config]
	inherited.Unlock()
	if ok && e.stamp == stamp {
		return e.fields
	}
	_, bspec, err := readBundle(bundle)
	if err != nil {
		return nil
	}
	fields := map[string]json.RawMessage{}
	own, _ := json.Marshal(bspec.Process)
	_ = json.Unmarshal(own, &fields)
	for _, k := range notInherited {
		delete(fields, k)
	}
	// Cached only when the file read is the one stamped.
	if fi, err := os.Stat(config); err == nil {
		if now, ok := fi.Sys().(*syscall.Stat_t); ok && now.Ino == st.Ino && now.Size == st.Size &&
			now.Mtim == st.Mtim && now.Ctim == st.Ctim {
			inherited.Lock()
			if inherited.m == nil || len(inherited.m) >= inheritedMax {
				inherited.m = map[string]inheritedEntry{}
			}
			inherited.m[config] = inheritedEntry{stamp, fields}
			inherited.Unlock()
		}
	}
	return fields
}
