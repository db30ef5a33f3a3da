package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

var (
	imagesOnce sync.Once
	imagesDir  string
	imagesErr  error
)

// testImages returns the dir make-image.py wrote the test images to, once
// per test binary, under a dir of its own (the evil images aim at its
// parent).
func testImages(t *testing.T) string {
	t.Helper()
	imagesOnce.Do(func() {
		var tmp string
		if tmp, imagesErr = os.MkdirTemp("", "exec-images-"); imagesErr != nil {
			return
		}
		imagesDir = filepath.Join(tmp, "images")
		out, err := exec.Command("python3", "../scripts/make-image.py", testRootfs, imagesDir).CombinedOutput()
		if err != nil {
			imagesErr = errors.New(err.Error() + ": " + string(out))
		}
	})
	if imagesErr != nil {
		t.Fatalf("make-image.py: %v", imagesErr)
	}
	return imagesDir
}

// removeTestImages removes what testImages made, if it ran.
func removeTestImages() {
	if imagesDir != "" {
		os.RemoveAll(filepath.Dir(imagesDir))
	}
}

// runBundle runs the bundle to its exit and returns its stdout and status.
func runBundle(t *testing.T, bundle string) (string, int) {
	t.Helper()
	rt := newTestRuntime(t, Options{})
	c, err := rt.Run(context.Background(), testID(t), bundle, IO{Stdin: StreamNull, Stdout: StreamPipe, Stderr: StreamNull})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cleanup(t, c)
	out, err := c.Stdio(1)
	if err != nil {
		t.Fatalf("Stdio: %v", err)
	}
	text := readAll(t, out)
	e := mustWait(t, c)
	if err := c.Delete(context.Background(), false); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	return text, e.Status
}

// probe is a shell script showing what the two-layer image's second layer did.
const probe = `id -u; pwd; echo $GREETING $EXTRA; test -e /etc/victim || echo victim gone; ls /etc/old-dir;` +
	` stat -c '%u:%g %a' /etc/owned; cat /etc/motd-link /etc/motd-symlink; test -p /etc/fifo && echo fifo; cat /srv/through; test -L /srv-link && echo link`

const probeOut = "65534\n/srv\nhello extra\nvictim gone\nc\n1234:5678 640\n" +
	"hello from the second layer\nhello from the second layer\nfifo\nthrough\nlink"

func TestBundleFromImage(t *testing.T) {
	images := testImages(t)
	for _, tc := range []struct{ name, ref, cache string }{
		{"layout", filepath.Join(images, "busybox") + ":latest", ""},
		{"docker-archive", filepath.Join(images, "busybox.tar"), ""},
		{"oci-archive", filepath.Join(images, "busybox-oci.tar") + ":latest", ""},
		{"layout-cached", filepath.Join(images, "busybox"), t.TempDir()},
		{"docker-archive-cached", filepath.Join(images, "busybox.tar") + ":busybox:latest", t.TempDir()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bundle := filepath.Join(t.TempDir(), "bundle")
			if err := BundleFromImage(bundle, tc.ref, ImageOptions{CacheDir: tc.cache}); err != nil {
				t.Fatalf("BundleFromImage: %v", err)
			}
			t.Cleanup(func() { BundleRemove(bundle) })
			if out, status := runBundle(t, bundle); out != "hello from the second layer" || status != 0 {
				t.Fatalf("image's own command: %q, status %d", out, status)
			}
			data, err := os.ReadFile(filepath.Join(bundle, "rootfs/etc/owned"))
			if err != nil || string(data) != "owned\n" {
				t.Fatalf("etc/owned: %q, %v", data, err)
			}
			if v, err := getxattr(filepath.Join(bundle, "rootfs/etc/owned"), "user.origin"); err != nil || v != "layer2" {
				t.Fatalf("xattr user.origin = %q, %v", v, err)
			}
			if err := BundleRemove(bundle); err != nil {
				t.Fatalf("BundleRemove: %v", err)
			}
			if _, err := os.Stat(bundle); !os.IsNotExist(err) {
				t.Fatalf("bundle still there after BundleRemove: %v", err)
			}
			assertNotMounted(t, bundle)
		})
	}
}

func TestBundleFromImageOverrides(t *testing.T) {
	for _, cache := range []string{"", t.TempDir()} {
		bundle := filepath.Join(t.TempDir(), "b")
		opts := ImageOptions{Args: []string{"sh", "-c", probe}, Env: []string{"EXTRA=extra"}, CacheDir: cache}
		if err := BundleFromImage(bundle, filepath.Join(testImages(t), "busybox"), opts); err != nil {
			t.Fatalf("BundleFromImage: %v", err)
		}
		if out, status := runBundle(t, bundle); out != probeOut || status != 0 {
			t.Errorf("cache %q: probe said %q (status %d), want %q", cache, out, status, probeOut)
		}
		if err := BundleRemove(bundle); err != nil {
			t.Fatalf("BundleRemove: %v", err)
		}
	}
}

func TestImageCacheShared(t *testing.T) {
	cache := t.TempDir()
	ref := filepath.Join(testImages(t), "busybox")
	var bundles []string
	for i := 0; i < 2; i++ {
		b := filepath.Join(t.TempDir(), "b")
		if err := BundleFromImage(b, ref, ImageOptions{CacheDir: cache, Args: []string{"sh", "-c", "echo one > /tmp/written"}}); err != nil {
			t.Fatalf("BundleFromImage %d: %v", i, err)
		}
		defer BundleRemove(b)
		bundles = append(bundles, b)
	}
	layers, _ := os.ReadDir(filepath.Join(cache, "layers"))
	if len(layers) != 2 {
		t.Fatalf("cache holds %d layers, want 2", len(layers))
	}
	if _, status := runBundle(t, bundles[0]); status != 0 {
		t.Fatalf("status %d", status)
	}
	// The write went to the first bundle's upper dir only.
	if data, err := os.ReadFile(filepath.Join(bundles[0], "upper/tmp/written")); string(data) != "one\n" {
		t.Fatalf("first bundle's upper dir holds %q, %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(bundles[1], "rootfs/tmp/written")); !os.IsNotExist(err) {
		t.Fatalf("the second bundle sees the first one's write: %v", err)
	}
	if tmp, _ := os.ReadDir(filepath.Join(cache, "tmp")); len(tmp) != 0 {
		t.Fatalf("cache tmp holds %d entries", len(tmp))
	}
}

func TestBundleFromImageRefusesEvilLayers(t *testing.T) {
	images := testImages(t)
	for _, kind := range []string{"traversal", "absolute", "symlink", "symlink-layers", "hardlink", "size"} {
		for _, cached := range []bool{false, true} {
			t.Run(kind+map[bool]string{false: "", true: "-cached"}[cached], func(t *testing.T) {
				parent := t.TempDir()
				bundle := filepath.Join(parent, "bundle")
				opts := ImageOptions{}
				if cached {
					opts.CacheDir = filepath.Join(parent, "cache")
				}
				err := BundleFromImage(bundle, filepath.Join(images, "evil-"+kind), opts)
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("BundleFromImage = %v, want ErrInvalid", err)
				}
				t.Log(err)
				if _, err := os.Stat(bundle); !os.IsNotExist(err) {
					t.Fatalf("bundle left behind: %v", err)
				}
				if _, err := os.Stat(filepath.Join(filepath.Dir(images), "escaped-"+kind)); !os.IsNotExist(err) {
					t.Fatalf("escaped-%s was written", kind)
				}
				if cached {
					// Only the valid layers under the refused one stay.
					want := map[string]int{"symlink-layers": 1}[kind]
					if layers, _ := os.ReadDir(filepath.Join(opts.CacheDir, "layers")); len(layers) != want {
						t.Fatalf("cache kept %d layers of a refused image, want %d", len(layers), want)
					}
					if tmp, _ := os.ReadDir(filepath.Join(opts.CacheDir, "tmp")); len(tmp) != 0 {
						t.Fatalf("cache tmp holds %d entries", len(tmp))
					}
				}
			})
		}
	}
}

func TestBundleFromImageBadInput(t *testing.T) {
	ref := filepath.Join(testImages(t), "busybox")
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "keep"), nil, 0o644)
	for _, tc := range []struct {
		name, dir, ref string
		opts           ImageOptions
		want           error
	}{
		{"no image", filepath.Join(t.TempDir(), "b"), ref + "-missing", ImageOptions{}, ErrInvalid},
		{"unknown tag", filepath.Join(t.TempDir(), "b"), ref + ":nope", ImageOptions{}, ErrInvalid},
		{"not an image", filepath.Join(t.TempDir(), "b"), "/etc/hostname", ImageOptions{}, ErrInvalid},
		{"dir not empty", full, ref, ImageOptions{}, ErrExists},
		{"no parent", "/nonexistent/b", ref, ImageOptions{}, ErrInvalid},
		{"bad env", filepath.Join(t.TempDir(), "b"), ref, ImageOptions{Env: []string{"NOEQUALS"}}, ErrInvalid},
		{"colon in cache", filepath.Join(t.TempDir(), "b"), ref, ImageOptions{CacheDir: "/tmp/a:b"}, ErrInvalid},
		{"too big", filepath.Join(t.TempDir(), "b"), ref, ImageOptions{MaxBytes: 4096}, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := BundleFromImage(tc.dir, tc.ref, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("BundleFromImage = %v, want %v", err, tc.want)
			}
			if tc.dir == full {
				if entries, _ := os.ReadDir(full); len(entries) != 1 {
					t.Fatalf("the existing dir now holds %d entries", len(entries))
				}
			} else if _, err := os.Stat(tc.dir); !os.IsNotExist(err) {
				t.Fatalf("bundle left behind: %v", err)
			}
		})
	}
	if err := BundleRemove(full); !errors.Is(err, ErrInvalid) {
		t.Fatalf("BundleRemove of a plain dir = %v, want ErrInvalid", err)
	}
	if _, err := os.Stat(filepath.Join(full, "keep")); err != nil {
		t.Fatalf("BundleRemove touched a plain dir: %v", err)
	}
}

// assertNotMounted fails if anything is mounted at or under dir.
func assertNotMounted(t *testing.T, dir string) {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), " "+dir) {
		t.Fatalf("%s is still mounted", dir)
	}
}

func TestImageCacheConcurrent(t *testing.T) {
	cache := t.TempDir()
	ref := filepath.Join(testImages(t), "busybox.tar")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	bundles := make([]string, len(errs))
	for i := range errs {
		bundles[i] = filepath.Join(t.TempDir(), "b")
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = BundleFromImage(bundles[i], ref, ImageOptions{CacheDir: cache})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("BundleFromImage %d: %v", i, err)
		}
		if data, err := os.ReadFile(filepath.Join(bundles[i], "rootfs/etc/motd")); string(data) != "hello from the second layer\n" {
			t.Errorf("bundle %d: motd %q, %v", i, data, err)
		}
		if err := BundleRemove(bundles[i]); err != nil {
			t.Fatalf("BundleRemove %d: %v", i, err)
		}
	}
	if layers, _ := os.ReadDir(filepath.Join(cache, "layers")); len(layers) != 2 {
		t.Fatalf("cache holds %d layers, want 2", len(layers))
	}
	if tmp, _ := os.ReadDir(filepath.Join(cache, "tmp")); len(tmp) != 0 {
		t.Fatalf("cache tmp holds %d entries", len(tmp))
	}
}

func TestBundleFromImageNeedsRoot(t *testing.T) {
	if os.Getenv("EXEC_IMAGE_UNPRIVILEGED") == "1" {
		err := BundleFromImage(filepath.Join(os.TempDir(), "never-made"), "/nonexistent", ImageOptions{})
		fmt.Print(err)
		if !errors.Is(err, ErrState) {
			os.Exit(1)
		}
		os.Exit(0)
	}
	cmd := exec.Command(unprivilegedTestBinary(t), "-test.run=^TestBundleFromImageNeedsRoot$")
	cmd.Env = append(os.Environ(), "EXEC_IMAGE_UNPRIVILEGED=1", "EXEC_TEST_ROOTFS=/")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "needs root") {
		t.Fatalf("as uid 65534: %v: %s", err, out)
	}
}

// TestBundleFromDebianImage runs the host's bash from a merged-/usr image
// (make-image.py writes it on such hosts), unpacked and cached: a dynamic
// binary, its libraries behind /lib and /lib64 symlinks, and a second layer
// writing through /lib.
func TestBundleFromDebianImage(t *testing.T) {
	image := filepath.Join(testImages(t), "debian")
	if _, err := os.Stat(image); err != nil {
		t.Skip("no debian image: the host is no merged-/usr Debian")
	}
	for _, cache := range []string{"", t.TempDir()} {
		bundle := filepath.Join(t.TempDir(), "b")
		if err := BundleFromImage(bundle, image, ImageOptions{CacheDir: cache}); err != nil {
			t.Fatalf("BundleFromImage: %v", err)
		}
		out, status := runBundle(t, bundle)
		if err := BundleRemove(bundle); err != nil {
			t.Fatalf("BundleRemove: %v", err)
		}
		if !strings.HasPrefix(out, "bash ") || !strings.HasSuffix(out, "\nthrough /lib") || status != 0 {
			t.Fatalf("cache %q: %q, status %d", cache, out, status)
		}
	}
}
