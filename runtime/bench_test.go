package runtime

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkLifecycle measures create, start, wait and delete of a busybox
// `true` container from Go (go test -bench Lifecycle -cpuprofile ...).
func BenchmarkLifecycle(b *testing.B) {
	t := &testing.T{}
	rt, bundle := benchSetup(b, "true")
	var before, after unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := rt.Create(bg, testID(t), bundle, NullIO())
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Start(bg); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Wait(bg); err != nil {
			b.Fatal(err)
		}
		if err := c.Delete(bg, false); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	unix.Getrusage(unix.RUSAGE_SELF, &after)
	cpu := float64(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) / 1e6
	b.ReportMetric(cpu/float64(b.N), "cpu-ms/op")
}

// BenchmarkAgentExec measures exec, wait and delete of `true` through the
// exec agent of one running container (go test -bench AgentExec
// -cpuprofile ...).
func BenchmarkAgentExec(b *testing.B) {
	t := &testing.T{}
	rt, bundle := benchSetup(b, "sleep", "1000")
	c, err := rt.Run(bg, testID(t), bundle, NullIO())
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		c.Delete(bg, true)
		c.Close()
	}()
	took := make([]time.Duration, 0, b.N)
	for i := -5; i < b.N; i++ {
		if i == 0 {
			b.ResetTimer()
		}
		t0 := time.Now()
		// As exec_container_exec() does: the JSON over the bundle's process.
		spec, err := c.ProcessOver([]byte(`{"args":["true"]}`))
		if err != nil {
			b.Fatal(err)
		}
		p, err := c.Exec(bg, fmt.Sprintf("p%d", i+5), spec, NullIO())
		if err != nil {
			b.Fatal(err)
		}
		if i >= 0 && !p.byAgent {
			b.Fatal("not through the agent")
		}
		if _, err := p.Wait(bg); err != nil {
			b.Fatal(err)
		}
		if err := p.Delete(bg); err != nil {
			b.Fatal(err)
		}
		p.Close()
		if i >= 0 {
			took = append(took, time.Since(t0))
		}
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2])/1e6, "median-ms")
}

// benchSetup makes a runtime and a busybox bundle running args.
func benchSetup(b *testing.B, args ...string) (*Runtime, string) {
	rt, err := New(Options{Root: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	bundle := b.TempDir()
	if err := makeRootfs(bundle + "/rootfs"); err != nil {
		b.Fatal(err)
	}
	if err := BundleInit(bundle, args, false); err != nil {
		b.Fatal(err)
	}
	return rt, bundle
}
