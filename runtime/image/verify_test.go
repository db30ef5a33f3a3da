package image

import (
	"archive/tar"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestReadVerified(t *testing.T) {
	data := "{}"
	good := ispec.Descriptor{Digest: digest.FromString(data), Size: int64(len(data))}
	if got, err := readVerified(strings.NewReader(data), good, "config"); err != nil || string(got) != data {
		t.Fatalf("readVerified = %q, %v", got, err)
	}
	for _, tc := range []struct {
		name, content string
		desc          ispec.Descriptor
		says          string
	}{
		{"other content", "[]", good, "does not match its digest"},
		{"longer", data + " ", good, "bytes where its descriptor says"},
		{"huge", data, ispec.Descriptor{Digest: good.Digest, Size: maxMetadataBytes + 1}, "beyond"},
		{"bad digest", data, ispec.Descriptor{Digest: "sha256:zz", Size: 2}, "digest"},
		{"unknown algorithm", data, ispec.Descriptor{Digest: "md5:00", Size: 2}, "digest"},
	} {
		if _, err := readVerified(strings.NewReader(tc.content), tc.desc, "config"); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, err, tc.says)
		}
	}
}

func TestCheckWhiteout(t *testing.T) {
	for name, ok := range map[string]bool{
		"etc/.wh.victim": true, "etc/.wh..wh..opq": true, ".wh.x": true, "a/b": true,
		".wh..": false, ".wh...": false, "etc/.wh.": false, "./.wh..": false, "etc/.wh..wh.plnk": false,
	} {
		if err := checkWhiteout(name); (err == nil) != ok {
			t.Errorf("%q: %v, want accepted %v", name, err, ok)
		}
	}
}

func TestEntriesCountAgainstTheBudget(t *testing.T) {
	root := t.TempDir()
	budget := &unpackBudget{left: 100 * entryCost, limit: "max_bytes"}
	var err error
	n := 0
	for ; err == nil && n < 1000; n++ {
		err = checkEntry(root, &tar.Header{Name: "d", Typeflag: tar.TypeDir}, budget)
	}
	if err == nil || n > 100 {
		t.Fatalf("%d empty entries fit a budget of 100 entries' cost", n)
	}
}

func TestParsePlatform(t *testing.T) {
	for _, s := range []string{"linux/arm64", "linux/arm/v7", ""} {
		if _, err := parsePlatform(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"amd64", "windows/amd64", "linux/", "linux/a/b/c"} {
		if _, err := parsePlatform(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
