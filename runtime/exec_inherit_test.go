package runtime

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestProcessOverFastPath: a process object over the container's, as the
// copy of the decoded fields gives it, equals the merge of the objects
// decoded anew, for every field given; and changing what it returns never
// changes what the next exec inherits.
func TestProcessOverFastPath(t *testing.T) {
	bundle := newBundle(t, false, "sleep", "1")
	fields, own := inheritedOf(bundle)
	if own == nil || len(fields) == 0 {
		t.Fatalf("no inherited fields of %s", bundle)
	}
	for _, given := range []string{
		`{"args":["true"]}`,
		`{"args":["sh","-c","x"],"env":["A=1"],"cwd":"/tmp"}`,
		`{"args":["id"],"user":{"uid":5,"gid":6}}`,
		`{"args":["id"],"user":{"uid":5},"capabilities":null,"rlimits":[]}`,
		`{"args":["x"],"terminal":true,"consoleSize":{"height":10,"width":20}}`,
		`{"args":["x"],"noNewPrivileges":false,"oomScoreAdj":3,"apparmorProfile":"p"}`,
		`{"args":["x"],"env":null}`,
	} {
		var g map[string]json.RawMessage
		if err := json.Unmarshal([]byte(given), &g); err != nil {
			t.Fatal(err)
		}
		fast, ok := overProcess(own, g)
		if !ok {
			t.Errorf("%s: not taken by the fast path", given)
			continue
		}
		slow, err := mergeProcess(fields, g)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s:\nfast %+v\nslow %+v", given, fast, slow)
		}
		if len(fast.Env) > 0 {
			fast.Env[0] = "CHANGED=1"
		}
		if fast.Capabilities != nil && len(fast.Capabilities.Bounding) > 0 {
			fast.Capabilities.Bounding[0] = "CHANGED"
		}
	}
	_, again := inheritedOf(bundle)
	if again.Env[0] == "CHANGED=1" || (again.Capabilities != nil && again.Capabilities.Bounding[0] == "CHANGED") {
		t.Errorf("a returned process shares memory with the inherited fields: %+v", again)
	}
	for _, given := range []string{`{"Args":["x"]}`, `{"args":["x"],"unknown":1}`, `{"args":"x"}`} {
		var g map[string]json.RawMessage
		json.Unmarshal([]byte(given), &g)
		if _, ok := overProcess(own, g); ok {
			t.Errorf("%s: taken by the fast path", given)
		}
	}
}
