package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/libexecution/execution/runtime/image"
)

func TestBundleFromImageProgress(t *testing.T) {
	images := testImages(t)
	ref := filepath.Join(images, "busybox") + ":latest"
	finished := map[string]bool{}
	bundle := filepath.Join(t.TempDir(), "bundle")
	err := BundleFromImage(bundle, ref, ImageOptions{Progress: func(p image.Progress) bool {
		if p.Done == p.Total {
			finished[p.Blob] = true
		}
		return false
	}})
	if err != nil {
		t.Fatal(err)
	}
	BundleRemove(bundle)
	if len(finished) != 2 {
		t.Fatalf("unpack progress finished %d layers, want the image's 2: %v", len(finished), finished)
	}

	for _, cache := range []string{"", t.TempDir()} {
		bundle := filepath.Join(t.TempDir(), "bundle")
		err := BundleFromImage(bundle, ref, ImageOptions{CacheDir: cache, Progress: func(image.Progress) bool { return true }})
		if !errors.Is(err, image.ErrCanceled) {
			t.Fatalf("cancel (cache %q): %v, want ErrCanceled", cache, err)
		}
		if _, err := os.Stat(bundle); !os.IsNotExist(err) {
			t.Fatalf("a cancelled bundle is left: %v", err)
		}
	}
}
