package runtime

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// newTestPool opens a pool of size on rt, filled, closed when the test ends.
func newTestPool(t *testing.T, rt *Runtime, opts PoolOptions) *Pool {
	t.Helper()
	if opts.IDPrefix == "" {
		opts.IDPrefix = testID(t) + "-"
	}
	p, err := rt.NewPool(opts)
	if err != nil {
		t.Fatalf("NewPool: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	if err := p.Fill(withTimeout(60 * time.Second)); err != nil {
		t.Fatalf("Fill: %v", err)
	}
	return p
}

// takeFrom takes a container, deleted when the test ends.
func takeFrom(t *testing.T, p *Pool) *Container {
	t.Helper()
	c, err := p.Take(withTimeout(60 * time.Second))
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	cleanup(t, c)
	return c
}

// poolIDs returns the ids of the containers a pool holds ready.
func poolIDs(p *Pool) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []string
	for _, c := range p.ready {
		ids = append(ids, c.ID())
	}
	return ids
}

func TestPoolTakeOutputAndExit(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	bundle := newBundle(t, false, "sh", "-c", "echo hello; exit 7")
	p := newTestPool(t, rt, PoolOptions{Bundle: bundle, Size: 2,
		IO: IO{Stdin: StreamNull, Stdout: StreamPipe, Stderr: StreamNull}})
	if ids, _ := rt.List(bg); len(ids) != 0 {
		t.Errorf("List shows untaken containers: %v", ids)
	}
	c := takeFrom(t, p)
	out, err := c.Stdio(Stdout)
	if err != nil {
		t.Fatalf("Stdio: %v", err)
	}
	if got := readAll(t, out); got != "hello" {
		t.Errorf("stdout = %q", got)
	}
	if e := mustWait(t, c); e.Status != 7 {
		t.Errorf("exit = %+v", e)
	}
	if ids, _ := rt.List(bg); len(ids) != 1 || ids[0] != c.ID() {
		t.Errorf("List = %v, want the taken %s", ids, c.ID())
	}
	loaded, err := rt.Load(bg, c.ID())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	defer loaded.Close()
	if _, err := os.Stat(filepath.Join(loaded.dir, poolMarkName)); !os.IsNotExist(err) {
		t.Errorf("a taken container is still marked as its pool's: %v", err)
	}
	if err := c.Delete(bg, false); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	noContainerLeft(t, rt, c.ID())
}

func TestPoolRefillsAndCloseDeletesUntaken(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	p := newTestPool(t, rt, PoolOptions{Bundle: newBundle(t, false, "true"), Size: 2, IO: NullIO(), Concurrency: 2})
	first := poolIDs(p)
	for i := 0; i < 2; i++ {
		c := takeFrom(t, p)
		mustWait(t, c)
		if err := c.Delete(bg, false); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	if err := p.Fill(withTimeout(60 * time.Second)); err != nil {
		t.Fatalf("Fill after takes: %v", err)
	}
	second := poolIDs(p)
	if len(second) != 2 || second[0] == first[0] || second[1] == first[1] {
		t.Fatalf("pool after takes holds %v, before %v", second, first)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, id := range second {
		noContainerLeft(t, rt, id)
	}
	if tokens := rt.poolTokens(); len(tokens) != 0 {
		t.Errorf("pool registrations left: %v", tokens)
	}
	if _, err := p.Take(bg); !errors.Is(err, ErrClosed) {
		t.Errorf("Take after Close = %v, want ErrClosed", err)
	}
}

func TestPoolConcurrentTakes(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	p := newTestPool(t, rt, PoolOptions{Bundle: newBundle(t, false, "true"), Size: 2, IO: NullIO(), Concurrency: 2})
	const takers = 6
	var wg sync.WaitGroup
	ids := make(chan string, takers)
	for i := 0; i < takers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := p.Take(withTimeout(60 * time.Second))
			if err != nil {
				t.Errorf("Take: %v", err)
				return
			}
			defer c.Close()
			if e, err := c.Wait(withTimeout(20 * time.Second)); err != nil || e.Status != 0 {
				t.Errorf("Wait = %+v, %v", e, err)
			}
			if err := c.Delete(bg, false); err != nil {
				t.Errorf("Delete: %v", err)
			}
			ids <- c.ID()
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("container %s taken twice", id)
		}
		seen[id] = true
	}
	if len(seen) != takers {
		t.Errorf("%d distinct takes, want %d", len(seen), takers)
	}
}

func TestPoolRefillErrorSurfacesOnTake(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	bundle := newBundle(t, false, "true")
	p := newTestPool(t, rt, PoolOptions{Bundle: bundle, Size: 1, IO: NullIO()})
	if err := os.Remove(filepath.Join(bundle, "config.json")); err != nil {
		t.Fatal(err)
	}
	mustWait(t, takeFrom(t, p))
	_, err := p.Take(withTimeout(60 * time.Second))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "config.json") {
		t.Fatalf("Take with the bundle gone = %v, want ErrInvalid naming config.json", err)
	}
}

func TestPoolSkipsDeadReadyContainer(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	p := newTestPool(t, rt, PoolOptions{Bundle: newBundle(t, false, "true"), Size: 1, IO: NullIO()})
	dead := p.ready[0]
	if err := syscall.Kill(dead.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	mustWait(t, dead)
	c := takeFrom(t, p)
	if c.ID() == dead.ID() {
		t.Fatalf("Take handed out the dead container")
	}
	if e := mustWait(t, c); e.Status != 0 {
		t.Errorf("exit = %+v", e)
	}
	if err := c.Delete(bg, false); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	noContainerLeft(t, rt, dead.ID())
}

func TestPoolBadOptionsLeaveNothing(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	bundle := newBundle(t, false, "true")
	for _, opts := range []PoolOptions{
		{Bundle: bundle, Size: 0, IO: NullIO()},
		{Bundle: bundle, Size: 1, IO: NullIO(), Concurrency: -1},
		{Bundle: bundle, Size: 1, IO: NullIO(), IDPrefix: "-bad"},
		{Bundle: filepath.Join(bundle, "missing"), Size: 1, IO: NullIO()},
		{Bundle: bundle, Size: 1, IO: IO{Terminal: true}},
	} {
		if _, err := rt.NewPool(opts); !errors.Is(err, ErrInvalid) {
			t.Errorf("NewPool(%+v) = %v, want ErrInvalid", opts, err)
		}
	}
	if tokens := rt.poolTokens(); len(tokens) != 0 {
		t.Errorf("pool registrations left: %v", tokens)
	}
}

// TestPoolCrashHelper, run as a child by TestPoolCrashLeftoversRemoved,
// fills a pool, prints its ids and waits to be killed.
func TestPoolCrashHelper(t *testing.T) {
	args := strings.Fields(os.Getenv("EXEC_POOL_HELPER"))
	if len(args) != 3 {
		t.Skip("runs as a child of TestPoolCrashLeftoversRemoved")
	}
	rt, err := New(Options{Root: args[0]})
	if err != nil {
		t.Fatal(err)
	}
	p, err := rt.NewPool(PoolOptions{Bundle: args[1], Size: 2, IO: NullIO(), IDPrefix: args[2]})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Fill(withTimeout(60 * time.Second)); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("ready " + strings.Join(poolIDs(p), " ") + "\n")
	select {}
}

func TestPoolCrashLeftoversRemoved(t *testing.T) {
	root := t.TempDir()
	rt := newTestRuntime(t, Options{Root: root})
	cmd := exec.Command(os.Args[0], "-test.run=^TestPoolCrashHelper$")
	cmd.Env = append(os.Environ(), "EXEC_POOL_HELPER="+root+" "+newBundle(t, false, "true")+" "+testID(t)+"-")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	cmd.Process.Kill()
	cmd.Wait()
	fields := strings.Fields(line)
	if len(fields) != 3 || fields[0] != "ready" {
		t.Fatalf("helper said %q", line)
	}
	if len(rt.poolTokens()) != 1 {
		t.Fatalf("the killed pool is not registered: %v", rt.poolTokens())
	}
	if _, err := os.Stat(rt.containerDir(fields[1])); err != nil {
		t.Fatalf("the killed pool's container is not there before the sweep: %v", err)
	}
	newTestRuntime(t, Options{Root: root})
	for _, id := range fields[1:] {
		noContainerLeft(t, rt, id)
	}
	if tokens := rt.poolTokens(); len(tokens) != 0 {
		t.Errorf("registrations left after the sweep: %v", tokens)
	}
}
