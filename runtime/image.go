package runtime

import (
	"context"
	"encoding/json"
	"os"

	"github.com/libexecution/execution/runtime/internal/imagehelper"
	"github.com/libexecution/execution/runtime/internal/monitor"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The library's images are made, pulled and cached by its image helper
// (runtime/image/cmd/execution-image), a program of its own that each call
// starts, so that the host never loads the image, registry and TLS code,
// and never parses a registry's replies or an image's layers itself. The
// Go API of runtime/image does the same work in process.

// SetImageProgram registers the image helper's executable image, which
// BundleFromImage, BundleRemove, ImageCachePrune and ImagePull run; the
// caller never changes image afterwards. The C library registers the one
// it carries.
func SetImageProgram(image []byte) { imagehelper.SetProgram(image) }

// ImageProgress is where a pull, or the unpacking of an image, stands on
// one blob (the same type as image.Progress).
type ImageProgress = imagehelper.Progress

// ImageOptions tune BundleFromImage. The zero value runs the image's own
// entrypoint and command with its env, unpacked into the bundle.
type ImageOptions struct {
	// Args replace the image's entrypoint and command when not empty
	// (the whole command line); it excludes Cmd and Entrypoint.
	Args []string
	// Cmd replaces the image's command when not empty, as the arguments
	// of `docker run IMAGE ARGS...` do; the entrypoint stays.
	Cmd []string
	// Entrypoint replaces the image's entrypoint when not nil; an empty,
	// non-nil one clears it (`docker run --entrypoint ""`).
	Entrypoint []string
	// Platform picks the image of an index: "linux/ARCH[/VARIANT]"; ""
	// is the host's. An image for another platform is refused.
	Platform string
	// Bundle shapes the config as it does BundleInitWith's: limits, a
	// user namespace (the image's files are then owned by the ids they
	// map to: unpacked so; cached once and mounted idmapped, or where the
	// kernel cannot, cached apart per mapping), a hardened profile, tmpfs
	// dirs. Its Terminal is or-ed with Terminal.
	Bundle BundleOptions
	// Env entries ("NAME=value") are set over the image's env.
	Env []string
	// CacheDir, when set, keeps each unpacked layer there by digest and
	// mounts the bundle's rootfs as an overlay of them.
	CacheDir string
	// Terminal sets process.terminal.
	Terminal bool
	// MaxBytes bounds the bytes the layers may write; 0 means the free
	// space of the file system they are written to.
	MaxBytes int64
	// Progress, when set, is told each layer's bytes read as it is
	// unpacked, on BundleFromImage's goroutine; a true return cancels
	// (an error wrapping ErrCanceled, nothing left).
	Progress func(ImageProgress) bool
}

// StopSignalAnnotation is the annotation a bundle made from an image
// carries for the image's StopSignal; no other part of the image's config
// becomes an annotation.
const StopSignalAnnotation = imagehelper.StopSignalAnnotation

// BundleFromImage makes the runtime bundle dir from the image ref, an OCI
// layout or a docker or OCI archive with an optional ":TAG", every blob
// verified (see package image); the config is the library's default
// converted from the image's and shaped by opts.Bundle. On any failure
// nothing of what this call made is left. A bundle made here is removed
// with BundleRemove. Root only.
func BundleFromImage(dir, ref string, opts ImageOptions) error {
	m, err := opts.Bundle.UserNS.Resolve(opts.Bundle.Hardened)
	if err != nil {
		return wrapf(ErrInvalid, "image: %v", err)
	}
	if m == UserNSRange {
		if opts.Bundle.UserNS == UserNSRange {
			return wrapf(ErrInvalid, "image: its files are owned by the mapped ids when unpacked, so it cannot have a range per container; use UserNSSubIDs")
		}
		m = UserNSSubIDs
	}
	opts.Bundle.UserNS = m
	var uids, gids []specs.LinuxIDMapping
	if m != UserNSNone {
		if uids, gids, err = m.IDMappings(); err != nil {
			return err
		}
	}
	shape, err := json.Marshal(opts.Bundle)
	if err != nil {
		return wrapf(ErrInternal, "image: bundle options: %v", err)
	}
	req := &imagehelper.BundleRequest{
		Args:        opts.Args,
		Cmd:         opts.Cmd,
		Entrypoint:  opts.Entrypoint,
		Platform:    opts.Platform,
		Env:         opts.Env,
		CacheDir:    opts.CacheDir,
		MaxBytes:    opts.MaxBytes,
		Terminal:    opts.Terminal || opts.Bundle.Terminal,
		UIDMappings: uids,
		GIDMappings: gids,
		Shape:       shape,
	}
	var files []*os.File
	if f, err := userNSHolder(); err != nil {
		req.HolderError = err.Error()
	} else {
		req.Holder = true
		files = append(files, f)
	}
	_, err = imagehelper.Run(context.Background(), imagehelper.Request{Op: imagehelper.OpBundle, Dir: dir, Ref: ref, Bundle: req},
		opts.Progress, files...)
	return err
}

// imageChownedLayers makes a layer cache keep chowned copies per mapping,
// as where the kernel has no idmapped mounts; for the tests.
var imageChownedLayers bool

// userNSHolder returns the monitor's program, which holds a user
// namespace open for the idmapped mounts of an image's layers (see
// image.Holder).
func userNSHolder() (*os.File, error) {
	if imageChownedLayers {
		return nil, wrapf(ErrState, "image: idmapped layers are off")
	}
	return monitor.Memfd()
}

// BundleRemove removes a bundle BundleFromImage made (see
// image.RemoveBundle, which the image helper runs): only a dir the library marked for that path, never
// across a mount, not while a container has its rootfs as its root.
func BundleRemove(dir string) error {
	_, err := imagehelper.Run(context.Background(), imagehelper.Request{Op: imagehelper.OpRemove, Dir: dir}, nil)
	return err
}

// ImageCachePrune removes from the layer cache at dir every layer no live
// bundle uses, and what crashed calls left there; it returns how many
// layers went (see image.PruneCache).
func ImageCachePrune(dir string) (int, error) {
	reply, err := imagehelper.Run(context.Background(), imagehelper.Request{Op: imagehelper.OpPrune, Dir: dir}, nil)
	if err != nil {
		return 0, err
	}
	return reply.Removed, nil
}

// PullOptions tune ImagePull (see image.PullOptions).
type PullOptions = imagehelper.PullOptions

// ImagePull fetches ref into the OCI layout at layoutDir and returns the
// digest of the manifest it stored, as image.Pull does, in the image
// helper.
func ImagePull(ctx context.Context, ref, layoutDir string, o PullOptions) (string, error) {
	reply, err := imagehelper.Run(ctx, imagehelper.Request{Op: imagehelper.OpPull, Dir: layoutDir, Ref: ref, Pull: &o},
		o.Progress)
	if err != nil {
		return "", err
	}
	return reply.Digest, nil
}
