package image

// Pulling fetches an image from a registry into an OCI image layout,
// through go-containerregistry's remote package (the registry protocol,
// auth, retries); what it fetches is verified and committed here
// (pull_store.go), so a pulled layout holds only content that matches its
// digests, and a pull that fails or is cancelled leaves no partial blob.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/libexecution/execution/runtime/internal/imagehelper"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	digest "github.com/opencontainers/go-digest"
	ispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// PullOptions tune Pull (the image helper's, see imagehelper).
type PullOptions = imagehelper.PullOptions

// Progress is where a pull, or the unpacking of an image, stands on one
// blob: Blob is the blob's digest, Done and Total its bytes written and
// its size. It is the library's image helper's report (imagehelper).
type Progress = imagehelper.Progress

// Pull fetches ref ("registry/repo:tag" or "registry/repo@sha256:...")
// into the OCI layout at layoutDir (made where missing), naming it in
// index.json by ref's full name (org.opencontainers.image.ref.name), and
// returns the digest of the manifest it stored. Blobs the layout already
// holds, verified, are not fetched again. A digest ref is verified end to
// end; every blob is verified as it is written.
func Pull(ctx context.Context, ref, layoutDir string, o PullOptions) (digest.Digest, error) {
	if layoutDir == "" {
		return "", wrapf(ErrInvalid, "image pull: no layout dir")
	}
	plat, err := parsePlatform(o.Platform)
	if err != nil {
		return "", err
	}
	if o.Parallel < 0 || o.Timeout < 0 {
		return "", wrapf(ErrInvalid, "image pull: negative parallel or timeout")
	}
	var nameOpts []name.Option
	if o.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nameOpts...)
	if err != nil {
		return "", wrapf(ErrInvalid, "image pull: %v", err)
	}
	tr, err := newPullTransport(r.Context().RegistryStr(), o.CAFile, o.Insecure)
	if err != nil {
		return "", err
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &puller{
		ref:   r,
		plat:  plat,
		opts:  o,
		track: newTracker(),
		remote: []remote.Option{
			remote.WithContext(ctx),
			remote.WithTransport(tr),
			remote.WithUserAgent("libexecution"),
			remote.WithRetryBackoff(remote.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Steps: 3}),
		},
	}
	if o.Username != "" {
		p.remote = append(p.remote, remote.WithAuth(&authn.Basic{Username: o.Username, Password: o.Password}))
	} else {
		p.remote = append(p.remote, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	}
	if p.store, err = openStore(layoutDir); err != nil {
		return "", err
	}
	type result struct {
		d   digest.Digest
		err error
	}
	done := make(chan result, 1)
	go func() {
		d, err := p.pull()
		done <- result{d, err}
	}()
	cancelled := false
	for {
		select {
		case <-p.track.notify:
			if !cancelled && p.track.report(o.Progress) {
				cancelled = true
				cancel()
			}
		case res := <-done:
			if !cancelled && res.err == nil && p.track.report(o.Progress) {
				cancelled = true
			}
			if cancelled {
				return "", wrapf(ErrCanceled, "image pull %s: cancelled by its progress callback", ref)
			}
			if res.err != nil {
				return "", pullError(ref, res.err)
			}
			return res.d, nil
		}
	}
}

// pullError gives err the kind the caller acts on: a timeout, an image the
// registry does not have, refused credentials, a failed connection.
func pullError(ref string, err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return wrapf(ErrTimeout, "image pull %s: timed out", ref)
	case errors.Is(err, ErrInvalid) || errors.Is(err, ErrSys) || errors.Is(err, ErrNotFound):
		return wrapf(kindOf(err), "image pull %s: %v", ref, err)
	}
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusNotFound:
			return wrapf(ErrNotFound, "image pull %s: not found in the registry: %v", ref, err)
		case http.StatusUnauthorized, http.StatusForbidden:
			return wrapf(ErrInvalid, "image pull %s: the registry refused the credentials: %v", ref, err)
		}
		return wrapf(ErrInvalid, "image pull %s: %v", ref, err)
	}
	return wrapf(ErrSys, "image pull %s: %v", ref, err)
}

// kindOf returns the sentinel err wraps among those a pull reports.
func kindOf(err error) error {
	for _, k := range []error{ErrNotFound, ErrInvalid, ErrSys} {
		if errors.Is(err, k) {
			return k
		}
	}
	return ErrSys
}

// puller is one pull in progress.
type puller struct {
	ref    name.Reference
	plat   imagePlatform
	opts   PullOptions
	remote []remote.Option
	store  *layoutStore
	track  *tracker
}

// pull fetches the manifest (through an index for the platform), then the
// config and layers, then stores the manifest and tags it.
func (p *puller) pull() (digest.Digest, error) {
	got, err := remote.Get(p.ref, p.remote...)
	if err != nil {
		return "", err
	}
	desc := ociDescriptor(got.Descriptor)
	raw, err := readVerified(bytes.NewReader(got.Manifest), desc, "manifest")
	if err != nil {
		return "", wrapf(ErrInvalid, "%v", err)
	}
	if d, ok := p.ref.(name.Digest); ok && digest.Digest(d.DigestStr()) != desc.Digest {
		return "", wrapf(ErrInvalid, "the registry sent manifest %s for %s", desc.Digest, d.DigestStr())
	}
	if isIndex(desc.MediaType) {
		var idx ispec.Index
		if err := json.Unmarshal(raw, &idx); err != nil {
			return "", wrapf(ErrInvalid, "index %s: %v", desc.Digest, err)
		}
		picked, err := p.plat.pick(idx.Manifests)
		if err != nil {
			return "", wrapf(ErrInvalid, "index %s: %v", desc.Digest, err)
		}
		child, err := remote.Get(p.ref.Context().Digest(picked.Digest.String()), p.remote...)
		if err != nil {
			return "", err
		}
		if raw, err = readVerified(bytes.NewReader(child.Manifest), picked, "manifest"); err != nil {
			return "", wrapf(ErrInvalid, "%v", err)
		}
		desc = picked
		desc.Annotations = nil
	}
	if desc.MediaType != ispec.MediaTypeImageManifest && desc.MediaType != dockerManifest {
		return "", wrapf(ErrInvalid, "%s is a %q, not an image manifest", desc.Digest, desc.MediaType)
	}
	var m ispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", wrapf(ErrInvalid, "manifest %s: %v", desc.Digest, err)
	}
	for _, l := range m.Layers {
		if !layerMediaTypes[l.MediaType] {
			return "", wrapf(ErrInvalid, "layer %s: media type %q is not a layer", l.Digest, l.MediaType)
		}
	}
	if err := p.fetchConfig(m.Config); err != nil {
		return "", err
	}
	if err := p.fetchLayers(m.Layers); err != nil {
		return "", err
	}
	if err := p.store.writeBytes(desc, raw); err != nil {
		return "", err
	}
	desc.Platform = &ispec.Platform{OS: "linux", Architecture: p.plat.arch, Variant: p.plat.variant}
	return desc.Digest, p.store.tag(desc, p.ref.Name())
}

// fetchConfig fetches the config and refuses one for another platform.
func (p *puller) fetchConfig(desc ispec.Descriptor) error {
	if desc.Size > maxMetadataBytes {
		return wrapf(ErrInvalid, "config %s: its size %d is beyond the %d bytes allowed", desc.Digest, desc.Size, maxMetadataBytes)
	}
	if err := p.fetch(desc); err != nil {
		return err
	}
	f, err := p.store.blobFile(desc.Digest)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(f)
	if err != nil {
		return sysErr("image pull: config", err)
	}
	var src imageSource
	if err := src.setConfig(raw, p.plat); err != nil {
		return wrapf(ErrInvalid, "%v", err)
	}
	return nil
}

// fetchLayers fetches the layers, opts.Parallel at once; the first failure
// stops the others.
func (p *puller) fetchLayers(layers []ispec.Descriptor) error {
	jobs := p.opts.Parallel
	if jobs < 1 {
		jobs = 1
	}
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	stop := make(chan struct{})
	for _, l := range layers {
		select {
		case sem <- struct{}{}:
		case <-stop:
		}
		select {
		case <-stop:
			wg.Wait()
			return first
		default:
		}
		wg.Add(1)
		go func(l ispec.Descriptor) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := p.fetch(l); err != nil {
				once.Do(func() { first = err; close(stop) })
			}
		}(l)
	}
	wg.Wait()
	return first
}

// fetch stores the blob desc names unless the layout has it, verified.
func (p *puller) fetch(desc ispec.Descriptor) error {
	item := p.track.add(desc)
	if p.store.has(desc) {
		item.set(desc.Size)
		return nil
	}
	layer, err := remote.Layer(p.ref.Context().Digest(desc.Digest.String()), p.remote...)
	if err != nil {
		return err
	}
	rc, err := layer.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := p.store.write(desc, rc, item.set); err != nil {
		return fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	return nil
}

// ociDescriptor converts go-containerregistry's descriptor.
func ociDescriptor(d v1.Descriptor) ispec.Descriptor {
	return ispec.Descriptor{
		MediaType: string(d.MediaType),
		Digest:    digest.Digest(d.Digest.String()),
		Size:      d.Size,
	}
}
