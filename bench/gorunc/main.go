// Command gorunc is the benchmark's go-runc peer: container lifecycles driven
// by github.com/containerd/go-runc in a loop inside one Go process, the way a
// Go program without libexecution would run them.
//
// It answers the benchmark driver's requests, one a line on stdin:
//
//	csd <id> <bundle>   create, start, wait for the init, delete
//	rwd <id> <bundle>   run --detach, wait for the init, delete
//	quit
//
// with "ok <nanoseconds> <CPU ms of this process> <CPU ms of its children>"
// (followed by " lost" when the init was not this process's child when it
// exited, so that its exit status went elsewhere) or "err <message>".
//
//	gorunc --serve --root DIR [--runtime runc|crun|PATH]
//
// With --first instead of --serve it runs one create/start/wait/delete of
// <id> <bundle> (its arguments) and exits: the first lifecycle of a fresh
// process, which the driver times from spawn to exit.
//
//	gorunc --first --root DIR [--runtime PATH] ID BUNDLE
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	runc "github.com/containerd/go-runc"
	"golang.org/x/sys/unix"
)

func main() {
	serve := flag.Bool("serve", false, "answer requests on stdin")
	first := flag.Bool("first", false, "run one lifecycle of ID BUNDLE and exit")
	root := flag.String("root", "", "the runtime's state root")
	runtime := flag.String("runtime", "runc", "the OCI runtime binary")
	flag.Parse()
	if (!*serve && !(*first && flag.NArg() == 2)) || *root == "" {
		fmt.Fprintln(os.Stderr, "usage: gorunc --serve --root DIR [--runtime PATH]\n"+
			"       gorunc --first --root DIR [--runtime PATH] ID BUNDLE")
		os.Exit(2)
	}
	// The inits reparent to this process, which waits for them by pid, as a
	// shim does.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "gorunc: prctl:", err)
		os.Exit(1)
	}
	p := &peer{
		client: &runc.Runc{Command: *runtime, Root: *root},
		root:   *root,
		live:   map[string]bool{},
	}
	if *first {
		if _, _, err := p.lifecycle(false, flag.Arg(0), flag.Arg(1)); err != nil {
			fmt.Fprintln(os.Stderr, "gorunc:", err)
			p.cleanup()
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := p.serve()
	p.cleanup()
	os.Exit(code)
}

// peer runs lifecycles through one go-runc client and remembers the
// containers not yet deleted.
type peer struct {
	client *runc.Runc
	root   string
	live   map[string]bool
}

func (p *peer) serve() int {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		var reply string
		switch {
		case f[0] == "quit":
			return 0
		case (f[0] == "csd" || f[0] == "rwd") && len(f) == 3:
			self0, children0 := cpuMs(unix.RUSAGE_SELF), cpuMs(unix.RUSAGE_CHILDREN)
			ns, lost, err := p.lifecycle(f[0] == "rwd", f[1], f[2])
			if err != nil {
				reply = "err " + strings.ReplaceAll(err.Error(), "\n", " ")
				break
			}
			reply = fmt.Sprintf("ok %d %.4f %.4f", ns, cpuMs(unix.RUSAGE_SELF)-self0,
				cpuMs(unix.RUSAGE_CHILDREN)-children0)
			if lost {
				reply += " lost"
			}
		default:
			reply = "err unsupported request: " + in.Text()
		}
		fmt.Fprintln(out, reply)
		out.Flush()
	}
	return 0
}

// lifecycle runs one container of bundle to its deletion, timed.
func (p *peer) lifecycle(detach bool, id, bundle string) (ns int64, lost bool, err error) {
	ctx := context.Background()
	pidFile := filepath.Join(p.root, id+".pid")
	io, err := runc.NewNullIO()
	if err != nil {
		return 0, false, err
	}
	defer io.Close()
	opts := &runc.CreateOpts{IO: io, PidFile: pidFile, Detach: detach}
	start := time.Now()
	p.live[id] = true
	if detach {
		_, err = p.client.Run(ctx, id, bundle, opts)
	} else {
		err = p.client.Create(ctx, id, bundle, opts)
	}
	if err != nil {
		op := "create"
		if detach {
			op = "run"
		}
		return 0, false, fmt.Errorf("%s: %w", op, err)
	}
	pid, err := readPid(pidFile)
	if err != nil {
		return 0, false, err
	}
	if !detach {
		if err := p.client.Start(ctx, id); err != nil {
			return 0, false, fmt.Errorf("start: %w", err)
		}
	}
	lost, err = waitInit(pid)
	if err != nil {
		return 0, false, err
	}
	if err := p.client.Delete(ctx, id, &runc.DeleteOpts{}); err != nil {
		return 0, false, fmt.Errorf("delete: %w", err)
	}
	ns = time.Since(start).Nanoseconds()
	delete(p.live, id)
	os.Remove(pidFile)
	return ns, lost, nil
}

// waitInit reaps the container's init, a child of this subreaper. lost
// reports that it was not a child: crun's run --detach returns while a
// helper of its own is still the init's parent, which then gets its exit
// status; waitInit then waits until the init is gone.
func waitInit(pid int) (lost bool, err error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ECHILD):
			return true, waitGone(pid)
		case err != nil:
			return false, fmt.Errorf("wait for pid %d: %w", pid, err)
		case ws.ExitStatus() != 0:
			return false, fmt.Errorf("init exited with status %d", ws.ExitStatus())
		}
		return false, nil
	}
}

// waitGone waits until pid, not a child of this process, is reaped by its
// parent, or reaps it once it reparented here.
func waitGone(pid int) error {
	deadline := time.Now().Add(10 * time.Second)
	for unix.Kill(pid, 0) != unix.ESRCH {
		var ws unix.WaitStatus
		if got, _ := unix.Wait4(pid, &ws, unix.WNOHANG, nil); got == pid {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d is still there after 10 s", pid)
		}
		time.Sleep(50 * time.Microsecond)
	}
	return nil
}

// cpuMs is the user and system CPU time of who, in milliseconds.
func cpuMs(who int) float64 {
	var ru unix.Rusage
	if unix.Getrusage(who, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

func readPid(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(data)))
}

// cleanup deletes with force what a failed request left behind.
func (p *peer) cleanup() {
	for id := range p.live {
		p.client.Delete(context.Background(), id, &runc.DeleteOpts{Force: true})
	}
}
