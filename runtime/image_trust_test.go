package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libexecution/execution/runtime/image"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// assertNothingLeft fails if bundle exists or the cache holds anything in
// tmp/ or refs/, or more than want layers.
func assertNothingLeft(t *testing.T, bundle, cache string, want int) {
	t.Helper()
	if _, err := os.Stat(bundle); !os.IsNotExist(err) {
		t.Fatalf("bundle left behind: %v", err)
	}
	assertNotMounted(t, bundle)
	if cache == "" {
		return
	}
	for dir, n := range map[string]int{"tmp": 0, "refs": 0, "layers": want} {
		if entries, _ := os.ReadDir(filepath.Join(cache, dir)); len(entries) != n {
			t.Fatalf("cache %s holds %d entries, want %d", dir, len(entries), n)
		}
	}
}

// imageCase returns a test's dir, the bundle to make in it and options
// with a cache there when cached.
func imageCase(t *testing.T, cached bool) (parent, bundle string, opts ImageOptions) {
	parent = t.TempDir()
	if cached {
		opts.CacheDir = filepath.Join(parent, "cache")
	}
	return parent, filepath.Join(parent, "bundle"), opts
}

func TestBundleFromImageVerifiesDigests(t *testing.T) {
	images := testImages(t)
	for _, tc := range []struct {
		image string
		kept  int // verified layers under the bad one that stay cached
	}{
		{"tampered-blob", 1},
		{"poison.tar", 0},
	} {
		for _, cached := range []bool{false, true} {
			t.Run(tc.image+map[bool]string{true: "-cached"}[cached], func(t *testing.T) {
				parent, bundle, opts := imageCase(t, cached)
				err := BundleFromImage(bundle, filepath.Join(images, tc.image), opts)
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "layer sha256:") {
					t.Fatalf("BundleFromImage = %v, want ErrInvalid naming the layer", err)
				}
				t.Log(err)
				assertNothingLeft(t, bundle, opts.CacheDir, map[bool]int{true: tc.kept}[cached])
				if !cached {
					return
				}
				// The honest image sharing the claimed layers runs its own files.
				good := filepath.Join(parent, "good")
				if err := BundleFromImage(good, filepath.Join(images, "busybox"), opts); err != nil {
					t.Fatalf("BundleFromImage busybox: %v", err)
				}
				defer BundleRemove(good)
				if out, status := runBundle(t, good); out != "hello from the second layer" || status != 0 {
					t.Fatalf("busybox on the cache: %q, status %d", out, status)
				}
			})
		}
	}
}

func TestBundleFromImageRefusesHostileImages(t *testing.T) {
	images := testImages(t)
	for _, tc := range []struct{ image, says string }{
		{"evil-whiteout-dot", "invalid whiteout"},
		{"evil-whiteout-dotdot", "invalid whiteout"},
		{"evil-whiteout-empty", "invalid whiteout"},
		{"evil-etc-link", "/etc/passwd"},
		{"evil-passwd-fifo", "not a regular file"},
		{"arm64", "arm64"},
		{"relative-workdir", "not absolute"},
	} {
		for _, cached := range []bool{false, true} {
			t.Run(tc.image+map[bool]string{true: "-cached"}[cached], func(t *testing.T) {
				parent, bundle, opts := imageCase(t, cached)
				done := make(chan error, 1)
				go func() { done <- BundleFromImage(bundle, filepath.Join(images, tc.image), opts) }()
				var err error
				select {
				case err = <-done:
				case <-time.After(30 * time.Second):
					t.Fatal("BundleFromImage blocks")
				}
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
					t.Fatalf("BundleFromImage = %v, want ErrInvalid saying %q", err, tc.says)
				}
				t.Log(err)
				if _, err := os.Stat(parent); err != nil {
					t.Fatalf("the bundle's parent is gone: %v", err)
				}
				if _, err := os.Stat(bundle); !os.IsNotExist(err) {
					t.Fatalf("bundle left behind: %v", err)
				}
				if cached {
					for _, d := range []string{"tmp", "refs"} {
						if entries, _ := os.ReadDir(filepath.Join(opts.CacheDir, d)); len(entries) != 0 {
							t.Fatalf("cache %s holds %d entries", d, len(entries))
						}
					}
				}
			})
		}
	}
}

func TestBundleFromImagePlatformsAndLayers(t *testing.T) {
	images := testImages(t)
	for _, tc := range []struct{ image, cache, want string }{
		{"multiarch", "", "hello from the second layer"},
		{"many-layers", t.TempDir(), "80"},
		{"many-layers", "", "80"},
	} {
		bundle := filepath.Join(t.TempDir(), "b")
		if err := BundleFromImage(bundle, filepath.Join(images, tc.image), ImageOptions{CacheDir: tc.cache}); err != nil {
			t.Fatalf("%s: BundleFromImage: %v", tc.image, err)
		}
		out, status := runBundle(t, bundle)
		if err := BundleRemove(bundle); err != nil {
			t.Fatalf("BundleRemove: %v", err)
		}
		if strings.TrimSpace(out) != tc.want || status != 0 {
			t.Fatalf("%s (cache %q): %q, status %d, want %q", tc.image, tc.cache, out, status, tc.want)
		}
	}
}

func TestBundleFromImageConfig(t *testing.T) {
	bundle := filepath.Join(t.TempDir(), "b")
	if err := BundleFromImage(bundle, filepath.Join(testImages(t), "busybox"), ImageOptions{}); err != nil {
		t.Fatalf("BundleFromImage: %v", err)
	}
	defer BundleRemove(bundle)
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	if len(spec.Annotations) != 1 || spec.Annotations[StopSignalAnnotation] != "SIGUSR1" {
		t.Errorf("annotations %v, want only the stop signal", spec.Annotations)
	}
	env := strings.Join(spec.Process.Env, " ")
	if strings.Contains(env, "JUSTNAME") || !strings.Contains(env, "GREETING=hello") || !strings.Contains(env, "HOME=") {
		t.Errorf("env %q", env)
	}
	if spec.Root.Path != "rootfs" || spec.Process.Cwd != "/srv" || spec.Process.User.UID != 65534 {
		t.Errorf("root %q, cwd %q, uid %d", spec.Root.Path, spec.Process.Cwd, spec.Process.User.UID)
	}
}

func TestBundleFromImageModes(t *testing.T) {
	old := unix.Umask(0)
	defer unix.Umask(old)
	ref := filepath.Join(testImages(t), "busybox")
	existing := filepath.Join(t.TempDir(), "existing")
	if err := os.Mkdir(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(t.TempDir(), "cache")
	for _, tc := range []struct{ bundle, cache string }{
		{filepath.Join(t.TempDir(), "b"), ""},
		{existing, ""},
		{filepath.Join(t.TempDir(), "b"), cache},
	} {
		if err := BundleFromImage(tc.bundle, ref, ImageOptions{CacheDir: tc.cache}); err != nil {
			t.Fatalf("BundleFromImage: %v", err)
		}
		dirs := []string{tc.bundle}
		if tc.cache != "" {
			dirs = append(dirs, tc.cache, filepath.Join(tc.cache, "layers"), filepath.Join(tc.cache, "tmp"), filepath.Join(tc.cache, "refs"))
			mounts, _ := os.ReadFile("/proc/self/mountinfo")
			for _, line := range strings.Split(string(mounts), "\n") {
				if strings.Contains(line, " "+filepath.Join(tc.bundle, "rootfs")+" ") &&
					(!strings.Contains(line, "nosuid") || !strings.Contains(line, "nodev")) {
					t.Errorf("overlay mounted without nosuid,nodev: %s", line)
				}
			}
		}
		for _, d := range dirs {
			if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("%s: mode %v, %v; want 0700", d, fi.Mode().Perm(), err)
			}
		}
		// No other user of the host reaches the image's files.
		cat := exec.Command("/bin/cat", filepath.Join(tc.bundle, "rootfs/etc/motd"))
		cat.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		if out, err := cat.CombinedOutput(); err == nil {
			t.Errorf("uid 65534 read the image's /etc/motd: %q", out)
		}
		if err := BundleRemove(tc.bundle); err != nil {
			t.Fatalf("BundleRemove: %v", err)
		}
	}
}

func TestBundleRemoveRefuses(t *testing.T) {
	ref := filepath.Join(testImages(t), "busybox")
	bundle := filepath.Join(t.TempDir(), "b")
	if err := BundleFromImage(bundle, ref, ImageOptions{}); err != nil {
		t.Fatalf("BundleFromImage: %v", err)
	}
	defer BundleRemove(bundle)
	// A marker copied into another dir is not that dir's.
	other := t.TempDir()
	data, _ := os.ReadFile(filepath.Join(bundle, "image.json"))
	os.WriteFile(filepath.Join(other, "image.json"), data, 0o600)
	if err := BundleRemove(other); !errors.Is(err, ErrInvalid) {
		t.Fatalf("BundleRemove of a dir with a copied marker = %v, want ErrInvalid", err)
	}
	if _, err := os.Stat(filepath.Join(other, "image.json")); err != nil {
		t.Fatalf("the other dir was touched: %v", err)
	}
	// A mount beneath the bundle.
	sub := filepath.Join(bundle, "rootfs", "mnt")
	os.MkdirAll(sub, 0o755)
	if err := unix.Mount("tmpfs", sub, "tmpfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	err := BundleRemove(bundle)
	unix.Unmount(sub, 0)
	if !errors.Is(err, ErrState) {
		t.Fatalf("BundleRemove with a mount beneath = %v, want ErrState", err)
	}
}

func TestBundleRemoveRefusesWhileInUse(t *testing.T) {
	ref := filepath.Join(testImages(t), "busybox")
	for _, cache := range []string{"", t.TempDir()} {
		bundle := filepath.Join(t.TempDir(), "b")
		if err := BundleFromImage(bundle, ref, ImageOptions{CacheDir: cache, Args: []string{"sleep", "100"}}); err != nil {
			t.Fatalf("BundleFromImage: %v", err)
		}
		rt := newTestRuntime(t, Options{})
		c, err := rt.Run(context.Background(), testID(t), bundle, IO{})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		cleanup(t, c)
		err = BundleRemove(bundle)
		if !errors.Is(err, ErrState) {
			t.Fatalf("cache %q: BundleRemove of a running container's bundle = %v, want ErrState", cache, err)
		}
		t.Log(err)
		if _, err := os.Stat(filepath.Join(bundle, "rootfs", "bin")); err != nil {
			t.Fatalf("the running container's rootfs was touched: %v", err)
		}
		c.Kill(context.Background(), syscall.SIGKILL, false)
		mustWait(t, c)
		if err := c.Delete(context.Background(), false); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if err := BundleRemove(bundle); err != nil {
			t.Fatalf("BundleRemove after the container: %v", err)
		}
	}
}

func TestImageCachePrune(t *testing.T) {
	images := testImages(t)
	cache := filepath.Join(t.TempDir(), "cache")
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	if err := BundleFromImage(a, filepath.Join(images, "busybox"), ImageOptions{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	if err := BundleFromImage(b, filepath.Join(images, "busybox.tar"), ImageOptions{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	// What a crashed call leaves: a working dir with its overlay mounted.
	left := filepath.Join(cache, "tmp", "crashed")
	os.MkdirAll(filepath.Join(left, "mnt"), 0o700)
	if err := unix.Mount("tmpfs", filepath.Join(left, "mnt"), "tmpfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	for i, step := range []struct {
		remove string
		want   int
	}{{"", 0}, {a, 0}, {b, 2}} {
		if step.remove != "" {
			if err := BundleRemove(step.remove); err != nil {
				t.Fatal(err)
			}
		}
		n, err := ImageCachePrune(cache)
		if err != nil || n != step.want {
			t.Fatalf("prune %d: %d, %v; want %d", i, n, err, step.want)
		}
	}
	assertNotMounted(t, cache)
	assertNothingLeft(t, b, cache, 0)
	if _, err := ImageCachePrune(t.TempDir()); !errors.Is(err, ErrInvalid) {
		t.Fatalf("prune of a dir that is no cache = %v, want ErrInvalid", err)
	}
}

func TestBundleFromImageCommand(t *testing.T) {
	ref := filepath.Join(testImages(t), "busybox")
	for _, tc := range []struct {
		name string
		opts ImageOptions
		want string
	}{
		{"cmd keeps the entrypoint", ImageOptions{Cmd: []string{"echo cmd only"}}, "cmd only"},
		{"entrypoint and cmd", ImageOptions{Entrypoint: []string{"echo"}, Cmd: []string{"a", "b"}}, "a b"},
		{"entrypoint clears the cmd", ImageOptions{Entrypoint: []string{"echo", "x"}}, "x"},
		{"args replace both", ImageOptions{Args: []string{"echo", "args"}}, "args"},
	} {
		bundle := filepath.Join(t.TempDir(), "b")
		if err := BundleFromImage(bundle, ref, tc.opts); err != nil {
			t.Fatalf("%s: BundleFromImage: %v", tc.name, err)
		}
		out, status := runBundle(t, bundle)
		BundleRemove(bundle)
		if strings.TrimSpace(out) != tc.want || status != 0 {
			t.Errorf("%s: %q, status %d; want %q", tc.name, out, status, tc.want)
		}
	}
	bundle := filepath.Join(t.TempDir(), "b")
	err := BundleFromImage(bundle, ref, ImageOptions{Args: []string{"true"}, Cmd: []string{"true"}})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("args with cmd = %v, want ErrInvalid", err)
	}
}

func TestBundleFromImagePlatformOption(t *testing.T) {
	images := testImages(t)
	bundle := filepath.Join(t.TempDir(), "b")
	if err := BundleFromImage(bundle, filepath.Join(images, "multiarch"), ImageOptions{Platform: "linux/arm64", Args: []string{"true"}}); err != nil {
		t.Fatalf("BundleFromImage linux/arm64: %v", err)
	}
	data, _ := os.ReadFile(filepath.Join(bundle, "rootfs/etc/motd"))
	BundleRemove(bundle)
	if string(data) != "arm64\n" {
		t.Fatalf("linux/arm64 from the index gave motd %q", data)
	}
	for _, p := range []string{"linux/s390x", "windows/amd64", "amd64"} {
		err := BundleFromImage(bundle, filepath.Join(images, "multiarch"), ImageOptions{Platform: p})
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("platform %q = %v, want ErrInvalid", p, err)
		}
		if _, err := os.Stat(bundle); !os.IsNotExist(err) {
			t.Fatalf("bundle left behind: %v", err)
		}
	}
}

func TestBundleFromImageHardened(t *testing.T) {
	ref := filepath.Join(testImages(t), "busybox")
	for _, cache := range []string{"", t.TempDir()} {
		bundle := filepath.Join(userNSParent(t), "b")
		opts := ImageOptions{
			CacheDir: cache,
			Cmd:      []string{"id -u; stat -c %u:%g /etc/owned; touch /x 2>/dev/null || echo read-only"},
			Bundle:   BundleOptions{Hardened: true, Limits: Limits{PidsLimit: 64}},
		}
		if err := BundleFromImage(bundle, ref, opts); err != nil {
			t.Fatalf("cache %q: BundleFromImage: %v", cache, err)
		}
		t.Cleanup(func() { BundleRemove(bundle) })
		data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		var spec specs.Spec
		json.Unmarshal(data, &spec)
		if len(spec.Linux.UIDMappings) == 0 || spec.Process.NoNewPrivileges != true ||
			spec.Linux.Resources.Pids == nil || *spec.Linux.Resources.Pids.Limit != 64 {
			t.Fatalf("cache %q: config not hardened and limited: %s", cache, data)
		}
		if cache != "" {
			assertSharedLayers(t, bundle, ref, cache)
		}
		var st unix.Stat_t
		unix.Stat(filepath.Join(bundle, "rootfs/etc/owned"), &st)
		if want := spec.Linux.UIDMappings[0].HostID + 1234; st.Uid != want {
			t.Errorf("cache %q: /etc/owned is uid %d on the host, want %d", cache, st.Uid, want)
		}
		out, status := runBundle(t, bundle)
		if err := BundleRemove(bundle); err != nil {
			t.Fatalf("BundleRemove: %v", err)
		}
		assertNothingLeft(t, bundle, "", 0)
		if out != "65534\n1234:5678\nread-only" || status != 0 {
			t.Fatalf("cache %q: %q, status %d", cache, out, status)
		}
	}
}

// TestImageCacheSweepsCrashLeftovers: a call on a cache nobody else uses
// first removes what a crashed call left in its tmp dir, mounts included.
func TestImageCacheSweepsCrashLeftovers(t *testing.T) {
	ref := filepath.Join(testImages(t), "busybox")
	cache := filepath.Join(t.TempDir(), "cache")
	first := filepath.Join(t.TempDir(), "b")
	if err := BundleFromImage(first, ref, ImageOptions{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	if err := BundleRemove(first); err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(cache, "tmp", "crashed")
	os.MkdirAll(filepath.Join(left, "mnt"), 0o700)
	if err := unix.Mount("tmpfs", filepath.Join(left, "mnt"), "tmpfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(t.TempDir(), "b")
	if err := BundleFromImage(bundle, ref, ImageOptions{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	defer BundleRemove(bundle)
	assertNotMounted(t, left)
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Fatalf("the crashed call's dir is still there: %v", err)
	}
}

// TestBundleFromImageSwappedBlob: a layer rewritten while it is being
// unpacked fails the call on its diff id, so what is unpacked is what was
// hashed. The rewrite lands in a file's data, so the tar stays readable.
func TestBundleFromImageSwappedBlob(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	if out, err := exec.Command("cp", filepath.Join(testImages(t), "busybox.tar"), archive).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v: %s", err, out)
	}
	original, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	// The archive's first entry is the busybox layer, its data from byte
	// 512 on; a megabyte into it is the middle of /bin/busybox.
	const at = 512 + 1<<20
	for _, cached := range []bool{false, true} {
		_, bundle, opts := imageCase(t, cached)
		swapped := ""
		opts.Progress = func(p image.Progress) bool {
			if swapped == "" && p.Done < at-512 {
				swapped = p.Blob
				f, err := os.OpenFile(archive, os.O_WRONLY, 0)
				if err != nil {
					t.Errorf("open %s: %v", archive, err)
					return true
				}
				defer f.Close()
				if _, err := f.WriteAt([]byte("swapped under the unpack"), at); err != nil {
					t.Errorf("rewrite %s: %v", archive, err)
				}
			}
			return false
		}
		err := BundleFromImage(bundle, archive, opts)
		if swapped == "" {
			t.Fatalf("cached %v: no layer was reported before the rewritten bytes", cached)
		}
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "does not match the config's diff id") {
			t.Fatalf("cached %v: BundleFromImage = %v, want ErrInvalid on the diff id", cached, err)
		}
		assertNothingLeft(t, bundle, opts.CacheDir, 0)
		if err := os.WriteFile(archive, original, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
