package runtime

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"testing"
)

// execModes are the two ways an exec runs: through the container's agent
// (the default) and through the runtime's exec (Options.NoAgent).
var execModes = []struct {
	name    string
	noAgent bool
}{{"agent", false}, {"runtime", true}}

// execOver is the process of args laid over c's own, as the C API does.
func execOver(t *testing.T, c *Container, json string) specs.Process {
	t.Helper()
	p, err := c.ProcessOver([]byte(json))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAgentSmoke(t *testing.T) {
	SetLogger(func(l LogLevel, m string) { t.Log(m) }, LogDebug, false)
	defer SetLogger(nil, 0, false)
	for _, mode := range execModes {
		t.Run(mode.name, func(t *testing.T) {
			rt := newTestRuntime(t, Options{NoAgent: mode.noAgent})
			c, err := rt.Run(bg, testID(t), newBundle(t, false, "sleep", "100"), NullIO())
			if err != nil {
				t.Fatal(err)
			}
			cleanup(t, c)
			for i := 0; i < 3; i++ {
				spec := execOver(t, c, `{"args":["sh","-c","echo hi; exit 3"]}`)
				p, err := c.Exec(bg, "p"+string(rune('a'+i)), spec, IO{Stdin: StreamNull, Stdout: StreamPipe, Stderr: StreamNull})
				if err != nil {
					t.Fatalf("Exec: %v", err)
				}
				if p.byAgent == mode.noAgent {
					t.Errorf("byAgent = %v", p.byAgent)
				}
				out, _ := p.Stdio(Stdout)
				if got := readAll(t, out); got != "hi" {
					t.Errorf("output %q", got)
				}
				if e := mustWait(t, p); e.Status != 3 {
					t.Errorf("exit %+v", e)
				}
				p.Close()
			}
		})
	}
}
