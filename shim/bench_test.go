package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The shim's benchmarks (`make bench-shim`), side by side with containerd's
// own runc shim on the same private containerd: `ctr run --rm` of `true`,
// and the memory that 1, 10 and 100 running containers cost in shim
// processes (and, for this shim, in the library's monitor, which stands in
// for the runc shims' reaping).

var runtimes = []struct{ name, runtime string }{
	{"execution", RuntimeType},
	{"runc-shim", "io.containerd.runc.v2"},
}

func BenchmarkCtrRunRm(b *testing.B) {
	shimBin, rootfs := requireSetup(b)
	for _, rt := range runtimes {
		b.Run(rt.name, func(b *testing.B) {
			d := startDaemon(b, shimBin)
			for i := 0; i < b.N; i++ {
				id := fmt.Sprintf("bench-%d", i)
				if out, err := d.ctr("run", "--rm", "--runtime", rt.runtime, "--env", busyboxPath,
					"--rootfs", rootfs, id, "true"); err != nil {
					b.Fatalf("ctr run: %v\n%s", err, out)
				}
			}
		})
	}
}

func BenchmarkMemoryPerContainer(b *testing.B) {
	shimBin, rootfs := requireSetup(b)
	for _, rt := range runtimes {
		for _, n := range []int{1, 10, 100} {
			for _, grouping := range groupings(rt.runtime) {
				b.Run(fmt.Sprintf("%s%s/%d", rt.name, grouping.name, n), func(b *testing.B) {
					d := startDaemon(b, shimBin, grouping.env...)
							for i := 0; i < n; i++ {
						if out, err := d.ctr("run", "-d", "--runtime", rt.runtime, "--env", busyboxPath,
							"--rootfs", rootfs, fmt.Sprintf("mem-%d", i), "sleep", "1000"); err != nil {
							b.Fatalf("ctr run: %v\n%s", err, out)
						}
					}
					rss, pss := helperMemory(d.dir)
					b.ReportMetric(float64(rss)/float64(n)/(1<<20), "RSS-MiB/container")
					b.ReportMetric(float64(pss)/float64(n)/(1<<20), "PSS-MiB/container")
				})
			}
		}
	}
}

type grouping struct {
	name string
	env  []string
}

// groupings are the ways a runtime's shims can serve containers: one each,
// or, for this shim, one per namespace.
func groupings(runtime string) []grouping {
	if runtime != RuntimeType {
		return []grouping{{}}
	}
	return []grouping{{}, {"-grouped", []string{groupEnv + "=namespace"}}}
}

// helperMemory sums the RSS and PSS, in bytes, of the shim processes of the
// containerd in dir and of the library's monitors they started.
func helperMemory(dir string) (rss, pss uint64) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		ours := strings.Contains(args[0], "containerd-shim") && strings.Contains(string(cmdline), dir)
		if !ours && args[0] == "execution-monitor" && len(args) > 1 {
			ours = strings.HasPrefix(args[1], dir)
		}
		if !ours {
			continue
		}
		r, p := smapsRollup(filepath.Join("/proc", e.Name(), "smaps_rollup"))
		rss, pss = rss+r, pss+p
	}
	return rss, pss
}

// smapsRollup reads a process's Rss and Pss, in bytes.
func smapsRollup(path string) (rss, pss uint64) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseUint(f[1], 10, 64)
		switch f[0] {
		case "Rss:":
			rss = kb << 10
		case "Pss:":
			pss = kb << 10
		}
	}
	return rss, pss
}
