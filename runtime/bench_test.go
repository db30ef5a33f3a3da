package runtime

import (
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkLifecycle measures create, start, wait and delete of a busybox
// `true` container from Go (go test -bench Lifecycle -cpuprofile ...).
func BenchmarkLifecycle(b *testing.B) {
	t := &testing.T{}
	rt, err := New(Options{Root: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	bundle := b.TempDir()
	if err := makeRootfs(bundle + "/rootfs"); err != nil {
		b.Fatal(err)
	}
	if err := BundleInit(bundle, []string{"true"}, false); err != nil {
		b.Fatal(err)
	}
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
