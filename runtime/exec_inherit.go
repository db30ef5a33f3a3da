package runtime

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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
	fields, own := inheritedOf(c.rec.Bundle)
	if p, ok := overProcess(own, given); ok {
		return p, nil
	}
	return mergeProcess(fields, given)
}

// mergeProcess decodes the object of the container's fields with each
// field given replaced whole.
func mergeProcess(fields, given map[string]json.RawMessage) (specs.Process, error) {
	merged := map[string]json.RawMessage{}
	for k, v := range fields {
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
	own    *specs.Process             // fields decoded; read only
}

// configStamp tells one version of a file from another.
type configStamp struct {
	dev, ino, size   uint64
	mtimeNs, ctimeNs int64
}

// inheritedMax bounds the cache; beyond it, it starts again.
const inheritedMax = 256

// inheritedOf returns the fields of bundle's process an exec inherits, and
// them decoded; none when its config cannot be read.
func inheritedOf(bundle string) (map[string]json.RawMessage, *specs.Process) {
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return nil, nil
	}
	config := filepath.Join(abs, "config.json")
	var st syscall.Stat_t
	if syscall.Stat(config, &st) != nil {
		return nil, nil
	}
	stamp := configStamp{uint64(st.Dev), st.Ino, uint64(st.Size), st.Mtim.Nano(), st.Ctim.Nano()}
	inherited.Lock()
	e, ok := inherited.m[config]
	inherited.Unlock()
	if ok && e.stamp == stamp {
		return e.fields, e.own
	}
	_, bspec, err := readBundle(bundle)
	if err != nil {
		return nil, nil
	}
	fields := map[string]json.RawMessage{}
	own, _ := json.Marshal(bspec.Process)
	_ = json.Unmarshal(own, &fields)
	for _, k := range notInherited {
		delete(fields, k)
	}
	text, _ := json.Marshal(fields)
	p := &specs.Process{}
	if json.Unmarshal(text, p) != nil {
		p = nil
	}
	// Cached only when the file read is the one stamped.
	if fi, err := os.Stat(config); err == nil {
		if now, ok := fi.Sys().(*syscall.Stat_t); ok && now.Ino == st.Ino && now.Size == st.Size &&
			now.Mtim == st.Mtim && now.Ctim == st.Ctim {
			inherited.Lock()
			if inherited.m == nil || len(inherited.m) >= inheritedMax {
				inherited.m = map[string]inheritedEntry{}
			}
			inherited.m[config] = inheritedEntry{stamp, fields, p}
			inherited.Unlock()
		}
	}
	return fields, p
}

// overProcess is own (a copy) with each field given replaced whole: what
// merging the objects and decoding them gives, without encoding the
// container's fields again. ok is false when it cannot tell: own unknown,
// or a key given that names no field exactly (encoding/json would match it
// regardless of case), or a value that does not decode (the merge then
// says why).
func overProcess(own *specs.Process, given map[string]json.RawMessage) (_ specs.Process, ok bool) {
	if own == nil {
		return specs.Process{}, false
	}
	index := processFields()
	for k := range given {
		if _, ok := index[k]; !ok {
			return specs.Process{}, false
		}
	}
	var p specs.Process
	v := reflect.ValueOf(&p).Elem()
	copyValue(v, reflect.ValueOf(own).Elem())
	for k, raw := range given {
		f := v.Field(index[k])
		f.SetZero()
		if json.Unmarshal(raw, f.Addr().Interface()) != nil {
			return specs.Process{}, false
		}
	}
	return p, true
}

// processFields maps the JSON names of specs.Process's fields to their
// indexes.
var processFields = sync.OnceValue(func() map[string]int {
	t := reflect.TypeFor[specs.Process]()
	m := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
})

// copyValue sets dst to a deep copy of src: the types of runtime-spec,
// all exported fields, pointers, slices and maps.
func copyValue(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if !src.IsNil() {
			dst.Set(reflect.New(src.Elem().Type()))
			copyValue(dst.Elem(), src.Elem())
		}
	case reflect.Struct:
		for i := range src.NumField() {
			copyValue(dst.Field(i), src.Field(i))
		}
	case reflect.Slice:
		if !src.IsNil() {
			dst.Set(reflect.MakeSlice(src.Type(), src.Len(), src.Len()))
			for i := range src.Len() {
				copyValue(dst.Index(i), src.Index(i))
			}
		}
	case reflect.Map:
		if !src.IsNil() {
			dst.Set(reflect.MakeMapWithSize(src.Type(), src.Len()))
			for it := src.MapRange(); it.Next(); {
				e := reflect.New(src.Type().Elem()).Elem()
				copyValue(e, it.Value())
				dst.SetMapIndex(it.Key(), e)
			}
		}
	default:
		dst.Set(src)
	}
}
