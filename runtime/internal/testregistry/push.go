package testregistry

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// options are the remote options reaching the registry as its user.
func (r *Registry) options() []remote.Option {
	o := []remote.Option{remote.WithTransport(r.Transport())}
	if r.opts.User != "" {
		o = append(o, remote.WithAuth(&authn.Basic{Username: r.opts.User, Password: r.opts.Password}))
	}
	return o
}

// Ref is "HOST/repo" with tag or "@digest" appended by the caller.
func (r *Registry) Ref(repoAndTag string) string {
	return r.Host + "/" + repoAndTag
}

// Push pushes img as repoAndTag ("repo:tag") and returns its digest.
func (r *Registry) Push(repoAndTag string, img v1.Image) (string, error) {
	ref, err := name.ParseReference(r.Ref(repoAndTag))
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img, r.options()...); err != nil {
		return "", err
	}
	d, err := img.Digest()
	return d.String(), err
}

// PushIndex pushes idx and every image it holds as repoAndTag.
func (r *Registry) PushIndex(repoAndTag string, idx v1.ImageIndex) (string, error) {
	ref, err := name.ParseReference(r.Ref(repoAndTag))
	if err != nil {
		return "", err
	}
	if err := remote.WriteIndex(ref, idx, r.options()...); err != nil {
		return "", err
	}
	d, err := idx.Digest()
	return d.String(), err
}

// PushLayout pushes the image the OCI layout at dir names refName
// (org.opencontainers.image.ref.name) as repoAndTag.
func (r *Registry) PushLayout(dir, refName, repoAndTag string) (string, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return "", err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return "", err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return "", err
	}
	for _, d := range m.Manifests {
		if d.Annotations["org.opencontainers.image.ref.name"] == refName {
			img, err := idx.Image(d.Digest)
			if err != nil {
				return "", err
			}
			return r.Push(repoAndTag, img)
		}
	}
	return "", fmt.Errorf("%s names no image %q", dir, refName)
}
