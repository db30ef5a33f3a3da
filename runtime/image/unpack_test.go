package image

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckEntry(t *testing.T) {
	root := t.TempDir()
	for name, target := range map[string]string{
		"up": "../..", "deep/up": "../../../x", "abs": "/etc", "in": "deep", "loop": "loop",
	} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755)
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		hdr  tar.Header
		want string // "" when accepted, else a part of the error
	}{
		{tar.Header{Name: "etc/passwd", Typeflag: tar.TypeReg, Size: 10}, ""},
		{tar.Header{Name: "./etc/passwd", Typeflag: tar.TypeReg}, ""},
		{tar.Header{Name: "abs/passwd", Typeflag: tar.TypeReg}, ""}, // /etc inside the rootfs
		{tar.Header{Name: "in/file", Typeflag: tar.TypeReg}, ""},
		{tar.Header{Name: "loop/file", Typeflag: tar.TypeReg}, ""}, // ELOOP: umoci's to refuse
		{tar.Header{Name: "a/../../b", Typeflag: tar.TypeReg}, `".."`},
		{tar.Header{Name: "/etc/passwd", Typeflag: tar.TypeReg}, "absolute"},
		{tar.Header{Name: "up/x", Typeflag: tar.TypeReg}, "/up is a symlink"},
		{tar.Header{Name: "deep/up/x", Typeflag: tar.TypeReg}, "/deep/up is a symlink"},
		{tar.Header{Name: "in/up/x", Typeflag: tar.TypeReg}, "/deep/up is a symlink"},
		{tar.Header{Name: "x", Typeflag: tar.TypeLink, Linkname: "up/passwd"}, "hard link target"},
		{tar.Header{Name: "x", Typeflag: tar.TypeLink, Linkname: "../passwd"}, "hard link target"},
		{tar.Header{Name: "x", Typeflag: tar.TypeSymlink, Linkname: "../../anywhere"}, ""},
		{tar.Header{Name: "big", Typeflag: tar.TypeReg, Size: 1 << 20}, "more than the 4096 left"},
	} {
		err := checkEntry(root, &tc.hdr, &unpackBudget{left: 4096, limit: "max_bytes"})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.hdr.Name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s -> %s: error %v, want one saying %q", tc.hdr.Name, tc.hdr.Linkname, err, tc.want)
		}
	}
}
