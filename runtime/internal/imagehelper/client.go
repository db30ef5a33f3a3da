package imagehelper

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/libexecution/execution/runtime/internal/confined"
	"github.com/libexecution/execution/runtime/internal/errdefs"
	"github.com/libexecution/execution/runtime/internal/monitor"
)

// The helper's program, as SetProgram registered it, and the sealed memfd
// it runs from, made at the first call that needs it.
var program struct {
	sync.Mutex
	image []byte
	exe   *os.File
}

// SetProgram registers the helper's executable image
// (runtime/image/cmd/execution-image, built by the Makefile); the caller
// never changes image afterwards. runtime.SetImageProgram says who calls it.
func SetProgram(image []byte) {
	program.Lock()
	defer program.Unlock()
	program.image = image
	if program.exe != nil {
		program.exe.Close()
		program.exe = nil
	}
}

// Registered tells whether a helper program is registered.
func Registered() bool {
	program.Lock()
	defer program.Unlock()
	return len(program.image) > 0
}

// maxStderr bounds what is kept of the helper's stderr, for the message of
// a helper that died without a reply.
const maxStderr = 4096

// Run runs req in a new helper and returns its last reply. progress, when
// set, is told each progress report on the calling goroutine, and a true
// return cancels the call; files are the helper's fds from 3 on. A
// canceled ctx cancels the call.
func Run(ctx context.Context, req Request, progress func(Progress) bool, files ...*os.File) (*Reply, error) {
	req.Version = Version
	req.Progress = progress != nil
	line, err := json.Marshal(req)
	if err != nil {
		return nil, errdefs.Wrapf(errdefs.ErrInternal, "image helper request: %v", err)
	}
	cmd, stdin, stdout, stderr, err := start(files)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex // stdin's lines
	say := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		stdin.Write([]byte(s + "\n"))
	}
	// Closing stdin cancels a helper still at work (a progress callback
	// that panicked leaves this way); then it is reaped. A host that
	// ignores SIGCHLD has the helper reaped for it: Wait's ECHILD changes
	// nothing, the reply tells the outcome.
	var finished sync.Once
	finish := func() {
		finished.Do(func() {
			mu.Lock()
			stdin.Close()
			mu.Unlock()
			stdout.Close()
			cmd.Wait()
		})
	}
	defer finish()
	say(string(line))
	stop := context.AfterFunc(ctx, func() { say(AnswerStop) })
	defer stop()
	reply, err := readReplies(stdout, progress, say)
	finish()
	if err != nil {
		if ctx.Err() != nil {
			return nil, errdefs.WithCause(errdefs.ErrCanceled, "image helper: "+ctx.Err().Error(), ctx.Err())
		}
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			msg = ": " + msg
		}
		return nil, errdefs.Wrapf(errdefs.ErrInternal, "image helper: %v%s", err, msg)
	}
	if reply.Error != nil {
		if ctx.Err() != nil && reply.Error.Kind == "canceled" {
			return nil, errdefs.WithCause(errdefs.ErrCanceled, reply.Error.Message, ctx.Err())
		}
		return nil, reply.Error.Err()
	}
	return reply, nil
}

// readReplies reads the helper's replies up to its last, answering each
// progress report with say.
func readReplies(stdout *os.File, progress func(Progress) bool, say func(string)) (*Reply, error) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var r Reply
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("bad reply %q: %v", sc.Text(), err)
		}
		if r.Progress != nil {
			answer := AnswerGo
			if progress != nil && progress(*r.Progress) {
				answer = AnswerStop
			}
			say(answer)
			continue
		}
		if r.Done {
			return &r, nil
		}
		return nil, fmt.Errorf("bad reply %q", sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, errors.New("exited without a reply")
}

// start starts a helper from the program's memfd, or where the kernel
// executes no memfd, from a private copy removed once it runs.
func start(files []*os.File) (*exec.Cmd, *os.File, *os.File, *bytes.Buffer, error) {
	program.Lock()
	defer program.Unlock()
	if len(program.image) == 0 {
		return nil, nil, nil, nil, errdefs.Wrapf(errdefs.ErrInternal, "no image helper program registered (runtime.SetImageProgram)")
	}
	if program.exe == nil {
		f, err := monitor.ExecMemfd("execution-image", program.image)
		if err == nil {
			f, err = monitor.KeepHigh(f)
		}
		if err != nil {
			return nil, nil, nil, nil, err
		}
		program.exe = f
	}
	cmd, stdin, stdout, stderr, err := startFrom(fmt.Sprintf("/proc/self/fd/%d", program.exe.Fd()), files)
	if err == nil {
		return cmd, stdin, stdout, stderr, nil
	}
	dir, derr := os.MkdirTemp("", "execution-image-")
	if derr != nil {
		return nil, nil, nil, nil, errdefs.SysErr("start image helper", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "execution-image")
	if werr := confined.Write(path, program.image); werr != nil {
		return nil, nil, nil, nil, errdefs.SysErr("start image helper", errors.Join(err, werr))
	}
	if cerr := os.Chmod(path, 0o700); cerr != nil {
		return nil, nil, nil, nil, errdefs.SysErr("start image helper", errors.Join(err, cerr))
	}
	return startFrom(path, files)
}

// startFrom starts the helper at path with pipes for its stdin and stdout.
func startFrom(path string, files []*os.File) (*exec.Cmd, *os.File, *os.File, *bytes.Buffer, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, nil, errdefs.SysErr("pipe", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, nil, nil, nil, errdefs.SysErr("pipe", err)
	}
	stderr := &limitedBuffer{max: maxStderr}
	// Its exit raises SIGCHLD in the host, maybe on a thread of Go's.
	monitor.FixSignalHandlers()
	cmd := &exec.Cmd{
		Path:       path,
		Args:       []string{"execution-image"},
		Dir:        "/",
		Stdin:      inR,
		Stdout:     outW,
		Stderr:     stderr,
		ExtraFiles: files,
	}
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, nil, nil, nil, errdefs.SysErr("start image helper", err)
	}
	return cmd, inW, outR, &stderr.Buffer, nil
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
