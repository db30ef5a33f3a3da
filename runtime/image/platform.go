package image

import (
	"fmt"
	goruntime "runtime"
	"strings"

	ispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// imagePlatform is the platform an image is taken for: linux and an
// architecture, with a variant where one was asked for.
type imagePlatform struct {
	arch, variant string
}

// parsePlatform parses "", the host's platform, or "linux/ARCH[/VARIANT]".
func parsePlatform(s string) (imagePlatform, error) {
	if s == "" {
		return imagePlatform{arch: goruntime.GOARCH}, nil
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "linux" || parts[1] == "" {
		return imagePlatform{}, wrapf(ErrInvalid, "image: platform %q is not linux/ARCH[/VARIANT]", s)
	}
	p := imagePlatform{arch: parts[1]}
	if len(parts) == 3 {
		p.variant = parts[2]
	}
	return p, nil
}

// String returns p as "linux/ARCH[/VARIANT]".
func (p imagePlatform) String() string {
	if p.variant != "" {
		return "linux/" + p.arch + "/" + p.variant
	}
	return "linux/" + p.arch
}

// matches reports whether an image for os, arch and variant runs on p.
func (p imagePlatform) matches(os, arch, variant string) bool {
	return os == "linux" && arch == p.arch && (p.variant == "" || variant == p.variant)
}

// pick returns the first descriptor for p.
func (p imagePlatform) pick(all []ispec.Descriptor) (ispec.Descriptor, error) {
	var seen []string
	for _, d := range all {
		if d.Platform == nil {
			continue
		}
		if p.matches(d.Platform.OS, d.Platform.Architecture, d.Platform.Variant) {
			return d, nil
		}
		seen = append(seen, d.Platform.OS+"/"+d.Platform.Architecture)
	}
	return ispec.Descriptor{}, fmt.Errorf("no image for %s (it has: %s)", p, strings.Join(seen, ", "))
}

// check refuses a config for another platform than p.
func (p imagePlatform) check(c ispec.Image) error {
	if c.OS != "" && c.OS != "linux" {
		return fmt.Errorf("the image is for %s, not linux", c.OS)
	}
	if c.Architecture != "" && !p.matches("linux", c.Architecture, c.Variant) {
		return fmt.Errorf("the image is for linux/%s, not %s", c.Architecture, p)
	}
	return nil
}
