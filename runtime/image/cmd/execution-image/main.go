// Command execution-image is the library's image helper: it makes bundles
// from images, pulls images and tends the layer cache for a host that
// loaded libexecution.so, which carries it and starts one per call (see
// runtime/internal/imagehelper, which holds the message format). It is no
// command for people: it reads one request on stdin and answers on stdout.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/libexecution/execution/runtime/image"
	"github.com/libexecution/execution/runtime/internal/errdefs"
	"github.com/libexecution/execution/runtime/internal/imagehelper"
	"github.com/libexecution/execution/runtime/spec"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// holderFd is the monitor's program, when the request says so.
const holderFd = 3

func main() {
	out := bufio.NewWriter(os.Stdout)
	h := &helper{out: out, answers: make(chan string, 1)}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var reply imagehelper.Reply
	if !in.Scan() {
		os.Exit(2)
	}
	var req imagehelper.Request
	if err := json.Unmarshal(in.Bytes(), &req); err != nil {
		reply.Error = imagehelper.ErrorOf(errdefs.Wrapf(errdefs.ErrInternal, "image helper: bad request: %v", err))
	} else if req.Version != imagehelper.Version {
		reply.Error = imagehelper.ErrorOf(errdefs.Wrapf(errdefs.ErrInternal,
			"image helper: request version %d, this helper knows %d", req.Version, imagehelper.Version))
	} else {
		h.report = req.Progress
		go h.listen(in)
		if err := h.serve(req, &reply); err != nil {
			reply.Error = imagehelper.ErrorOf(err)
		}
	}
	reply.Done = true
	h.send(reply)
	if err := out.Flush(); err != nil {
		os.Exit(1)
	}
}

// helper serves one request.
type helper struct {
	mu      sync.Mutex // out
	out     *bufio.Writer
	report  bool
	answers chan string
	ctx     context.Context
	cancel  context.CancelFunc
}

// listen reads the host's answers; an unasked "stop", or stdin's end,
// cancels the call.
func (h *helper) listen(in *bufio.Scanner) {
	for in.Scan() {
		switch in.Text() {
		case imagehelper.AnswerStop:
			h.cancel()
			select {
			case h.answers <- imagehelper.AnswerStop:
			default:
			}
		case imagehelper.AnswerGo:
			select {
			case h.answers <- imagehelper.AnswerGo:
			default:
			}
		}
	}
	h.cancel()
	close(h.answers)
}

// send writes one reply line.
func (h *helper) send(r imagehelper.Reply) {
	h.mu.Lock()
	defer h.mu.Unlock()
	line, _ := json.Marshal(r)
	h.out.Write(append(line, '\n'))
	h.out.Flush()
}

// progress reports p to a host that asked for reports and waits for its
// answer; a true return cancels.
func (h *helper) progress(p image.Progress) bool {
	if h.ctx.Err() != nil {
		return true
	}
	if !h.report {
		return false
	}
	h.send(imagehelper.Reply{Progress: &p})
	select {
	case a, ok := <-h.answers:
		return !ok || a == imagehelper.AnswerStop
	case <-h.ctx.Done():
		return true
	}
}

func (h *helper) serve(req imagehelper.Request, reply *imagehelper.Reply) error {
	switch req.Op {
	case imagehelper.OpBundle:
		if req.Bundle == nil {
			return errdefs.Wrapf(errdefs.ErrInternal, "image helper: bundle request without options")
		}
		return h.bundle(req.Dir, req.Ref, *req.Bundle)
	case imagehelper.OpPull:
		var o image.PullOptions
		if req.Pull != nil {
			o = *req.Pull
		}
		o.Progress = h.progress
		got, err := image.Pull(h.ctx, req.Ref, req.Dir, o)
		reply.Digest = string(got)
		return err
	case imagehelper.OpRemove:
		return image.RemoveBundle(req.Dir)
	case imagehelper.OpPrune:
		n, err := image.PruneCache(req.Dir)
		reply.Removed = n
		return err
	}
	return errdefs.Wrapf(errdefs.ErrInternal, "image helper: unknown operation %q", req.Op)
}

// bundle makes a bundle as runtime.BundleFromImage describes: the
// library's default config, converted from the image's and shaped by the
// caller's bundle options.
func (h *helper) bundle(dir, ref string, b imagehelper.BundleRequest) error {
	var shape spec.BundleOptions
	if len(b.Shape) > 0 {
		if err := json.Unmarshal(b.Shape, &shape); err != nil {
			return errdefs.Wrapf(errdefs.ErrInternal, "image helper: bundle options: %v", err)
		}
	}
	holder := func() (*os.File, error) {
		if !b.Holder {
			return nil, errdefs.Wrapf(errdefs.ErrState, "%s", b.HolderError)
		}
		fd, err := unix.FcntlInt(holderFd, unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return nil, errdefs.SysErr("monitor program", err)
		}
		return os.NewFile(uintptr(fd), "execution-monitor"), nil
	}
	return image.MakeBundle(dir, ref, image.Options{
		Config: spec.Default([]string{"sh"}, b.Terminal),
		Shape: func(s *specs.Spec) error {
			return spec.Apply(s, shape, "image", filepath.Join(dir, "rootfs"))
		},
		Args:        b.Args,
		Cmd:         b.Cmd,
		Entrypoint:  b.Entrypoint,
		Platform:    b.Platform,
		UIDMappings: b.UIDMappings,
		GIDMappings: b.GIDMappings,
		Env:         b.Env,
		CacheDir:    b.CacheDir,
		MaxBytes:    b.MaxBytes,
		Progress:    h.progress,
		Holder:      holder,
	})
}

func init() {
	// No one runs this by hand: say so to one who tries.
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "execution-image: the image helper of libexecution, started by the library")
		os.Exit(2)
	}
}
