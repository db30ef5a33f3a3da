package image

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestOverlayOfManyLayers mounts 150 lower dirs both ways: one
// "lowerdir+" each, and the one-string form older kernels get.
func TestOverlayOfManyLayers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting an overlay needs root")
	}
	defer func() { lowerdirPlus = true }()
	for _, plus := range []bool{true, false} {
		lowerdirPlus = plus
		dir := t.TempDir()
		var lowers []string
		for i := 0; i < 150; i++ {
			l := filepath.Join(dir, "layers", fmt.Sprintf("sha256-%064d", i))
			if err := os.MkdirAll(l, 0o700); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(l, fmt.Sprintf("f%03d", i)), nil, 0o600)
			lowers = append(lowers, l)
		}
		mnt, upper, work := filepath.Join(dir, "mnt"), filepath.Join(dir, "upper"), filepath.Join(dir, "work")
		for _, d := range []string{mnt, upper, work} {
			os.Mkdir(d, 0o700)
		}
		if err := mountOverlay(mnt, lowers, upper, work); err != nil {
			t.Fatalf("lowerdir+ %v: %v", plus, err)
		}
		entries, _ := os.ReadDir(mnt)
		if err := unmountRootfs(mnt); err != nil {
			t.Fatal(err)
		}
		if len(entries) != len(lowers) {
			t.Fatalf("lowerdir+ %v: the overlay shows %d files of %d layers", plus, len(entries), len(lowers))
		}
	}
}
