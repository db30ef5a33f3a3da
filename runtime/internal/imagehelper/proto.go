// Package imagehelper runs what images need, unpacking, pulling, the layer
// cache, in a helper program of its own (runtime/image/cmd/execution-image)
// rather than in the host: a registry's replies and an image's layers are
// parsed where a bug cannot reach the host's memory, and the host never
// loads the image, registry and TLS code, nor pays for its pages and
// package inits. The library carries the helper as it does the monitor and
// starts one per call, from a sealed memfd.
//
// This file is the one message format, versioned, that both sides keep.
// The host writes one Request as a JSON line on the helper's stdin; the
// helper writes Reply lines on its stdout: any number of progress reports,
// each answered by the host with "go" or "stop" on a line of its own, then
// one reply with Done set. A "stop" the host writes unasked, or the end of
// stdin, cancels the call (ErrCanceled, nothing of it left).
package imagehelper

import (
	"context"
	"errors"
	"syscall"
	"time"

	"github.com/libexecution/execution/runtime/internal/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// StopSignalAnnotation is the annotation a bundle made from an image
// carries for the image's StopSignal (image.StopSignalAnnotation).
const StopSignalAnnotation = "io.libexecution.image.stop-signal"

// Version is the message format's version; a helper refuses another.
const Version = 1

// The operations of a Request.
const (
	OpBundle = "bundle" // image.MakeBundle
	OpPull   = "pull"   // image.Pull
	OpRemove = "remove" // image.RemoveBundle
	OpPrune  = "prune"  // image.PruneCache
)

// The host's answers to a progress report, each a line.
const (
	AnswerGo   = "go"
	AnswerStop = "stop"
)

// Progress is where a pull, or the unpacking of an image, stands on one
// blob.
type Progress struct {
	// Blob is the blob's digest.
	Blob string `json:"blob"`
	// Done and Total are its bytes written and its size.
	Done  int64 `json:"done"`
	Total int64 `json:"total"`
}

// Request is one call of the helper.
type Request struct {
	Version int    `json:"version"`
	Op      string `json:"op"`
	// Dir is the bundle dir (bundle, remove), the layout dir (pull) or
	// the cache dir (prune).
	Dir string `json:"dir"`
	Ref string `json:"ref,omitempty"`
	// Progress asks for progress reports.
	Progress bool           `json:"progress,omitempty"`
	Bundle   *BundleRequest `json:"bundle,omitempty"`
	Pull     *PullOptions   `json:"pull,omitempty"`
}

// BundleRequest is what image.Options carries, less the callbacks: the
// helper makes the config and shapes it with runtime/spec itself.
type BundleRequest struct {
	Args       []string `json:"args,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
	Entrypoint []string `json:"entrypoint"`
	Platform   string   `json:"platform,omitempty"`
	Env        []string `json:"env,omitempty"`
	CacheDir   string   `json:"cacheDir,omitempty"`
	MaxBytes   int64    `json:"maxBytes,omitempty"`
	// Terminal sets the default config's process.terminal.
	Terminal    bool                   `json:"terminal,omitempty"`
	UIDMappings []specs.LinuxIDMapping `json:"uidMappings,omitempty"`
	GIDMappings []specs.LinuxIDMapping `json:"gidMappings,omitempty"`
	// Shape is a runtime/spec.BundleOptions, applied to the config last.
	Shape []byte `json:"shape,omitempty"`
	// Holder says that fd 3 is the monitor's program, which holds a user
	// namespace for the idmapped mounts of cached layers; HolderError,
	// when set, is what asking for it gives instead.
	Holder      bool   `json:"holder,omitempty"`
	HolderError string `json:"holderError,omitempty"`
}

// PullOptions tune Pull. The zero value pulls the host's platform with the
// user's docker/podman credentials, one layer at a time, with no timeout.
type PullOptions struct {
	// Platform picks the image of an index: "linux/ARCH[/VARIANT]"; ""
	// is the host's.
	Platform string `json:"platform,omitempty"`
	// Username and Password log in to the registry; with no Username the
	// user's docker and podman auth files are read, as
	// authn.DefaultKeychain reads them.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// CAFile is a PEM bundle trusted besides the system's CAs.
	CAFile string `json:"caFile,omitempty"`
	// Insecure allows plain HTTP and unverified TLS to the ref's registry.
	// Without it plain HTTP is used only for a loopback registry.
	Insecure bool `json:"insecure,omitempty"`
	// Timeout bounds the whole pull; 0 is none.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Parallel is how many blobs are downloaded at once; 0 is 1.
	Parallel int `json:"parallel,omitempty"`
	// Progress, when set, is called on Pull's own goroutine (never on
	// another) as blobs are written: a true return cancels the pull.
	Progress func(Progress) bool `json:"-"`
}

// Reply is one line of the helper's.
type Reply struct {
	Progress *Progress `json:"progress,omitempty"`
	Done     bool      `json:"done,omitempty"`
	Error    *Error    `json:"error,omitempty"`
	// Digest is the manifest a pull stored; Removed the layers a prune
	// removed.
	Digest  string `json:"digest,omitempty"`
	Removed int    `json:"removed,omitempty"`
}

// Error is a failed call: its kind (one of kinds' names), its message and
// the errno it wraps, if any.
type Error struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Errno   int    `json:"errno,omitempty"`
}

// kinds are the library's kinds of error by their names on the wire.
var kinds = []struct {
	name string
	err  error
}{
	{"invalid", errdefs.ErrInvalid},
	{"notfound", errdefs.ErrNotFound},
	{"exists", errdefs.ErrExists},
	{"state", errdefs.ErrState},
	{"runtime", errdefs.ErrRuntime},
	{"timeout", errdefs.ErrTimeout},
	{"closed", errdefs.ErrClosed},
	{"sys", errdefs.ErrSys},
	{"notsupported", errdefs.ErrNotSupported},
	{"canceled", errdefs.ErrCanceled},
	{"timeout", context.DeadlineExceeded},
	{"internal", errdefs.ErrInternal},
}

// ErrorOf is the wire form of err.
func ErrorOf(err error) *Error {
	e := &Error{Kind: "internal", Message: err.Error()}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			e.Kind = k.name
			break
		}
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		e.Errno = int(errno)
		if e.Kind == "internal" {
			e.Kind = "sys"
		}
	}
	return e
}

// Err is the error e stands for, of its kind, wrapping its errno.
func (e *Error) Err() error {
	kind := errdefs.ErrInternal
	for _, k := range kinds {
		if k.name == e.Kind {
			kind = k.err
			break
		}
	}
	if kind == context.DeadlineExceeded {
		kind = errdefs.ErrTimeout
	}
	if e.Errno != 0 {
		return errdefs.WithCause(kind, e.Message, syscall.Errno(e.Errno))
	}
	return errdefs.Wrapf(kind, "%s", e.Message)
}
