package runtime

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// userNSParent returns a dir for a bundle whose container's root, an
// unprivileged id on the host, must search the bundle's parents.
func userNSParent(t *testing.T) string {
	parent := t.TempDir()
	for _, d := range []string{parent, filepath.Dir(parent)} {
		os.Chmod(d, 0o711)
	}
	return parent
}

// bundleLayers returns the layer dirs the bundle's reference in the
// cache names.
func bundleLayers(t *testing.T, bundle, cache string) []string {
	t.Helper()
	var rec struct {
		Token  string
		Layers []string
	}
	for _, p := range []string{filepath.Join(bundle, "image.json"), ""} {
		if p == "" {
			p = filepath.Join(cache, "refs", rec.Token)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatal(err)
		}
	}
	return rec.Layers
}

// cacheLayers returns the names of the cache's layer dirs.
func cacheLayers(t *testing.T, cache string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(cache, "layers"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// assertMountsBeneath fails unless exactly want mount points of this
// mount namespace are at or beneath dir.
func assertMountsBeneath(t *testing.T, dir string, want ...string) {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			got = append(got, f[4])
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("mounts beneath %s: %q, want %q", dir, got, want)
	}
}

// assertSharedLayers checks that the user namespace bundle's layers are
// the cache's only copies, unmapped, and the very dirs an unmapped bundle
// of the same image uses; the idmapped layers it mounted for its overlay
// are unmounted again.
func assertSharedLayers(t *testing.T, bundle, ref, cache string) {
	t.Helper()
	layers := bundleLayers(t, bundle, cache)
	names := cacheLayers(t, cache)
	if len(layers) != 2 || len(names) != len(layers) {
		t.Fatalf("the cache holds %q for a bundle of layers %q, want one copy of each", names, layers)
	}
	for _, n := range names {
		if strings.Contains(n, "-ids-") {
			t.Fatalf("the cache holds a copy per mapping: %q", names)
		}
	}
	plain := filepath.Join(t.TempDir(), "plain")
	if err := BundleFromImage(plain, ref, ImageOptions{CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	defer BundleRemove(plain)
	if got := bundleLayers(t, plain, cache); !slices.Equal(got, layers) {
		t.Fatalf("an unmapped bundle uses layers %q, the mapped one %q", got, layers)
	}
	if got := cacheLayers(t, cache); !slices.Equal(got, names) {
		t.Fatalf("an unmapped bundle added layers: %q, was %q", got, names)
	}
	assertMountsBeneath(t, bundle, filepath.Join(bundle, "rootfs"))
}

// TestBundleFromImageIDMappedWrites: a bundle with a user namespace from a
// cache, idmapped or (where the kernel cannot) on chowned copies: the
// container sees the image's owners, the host sees them mapped, and what
// root inside writes lands in the bundle's upper dir owned by root's
// mapped ids; prune keeps the layers while the bundle lives; removal
// leaves no mount and no dir.
func TestBundleFromImageIDMappedWrites(t *testing.T) {
	ref := filepath.Join(testImages(t), "busybox")
	writable := false
	for _, chowned := range []bool{false, true} {
		t.Run(map[bool]string{false: "idmapped", true: "chowned"}[chowned], func(t *testing.T) {
			imageChownedLayers = chowned
			defer func() { imageChownedLayers = false }()
			cache := filepath.Join(t.TempDir(), "cache")
			bundle := filepath.Join(userNSParent(t), "b")
			opts := ImageOptions{
				CacheDir: cache,
				Cmd:      []string{"id -u; stat -c %u:%g /etc/owned; { echo hi > /etc/written; } 2>&1 && stat -c %u:%g /etc/written"},
				Bundle:   BundleOptions{UserNS: UserNSSubIDs, Workload: Workload{User: "0:0", ReadonlyRootfs: &writable}},
			}
			if err := BundleFromImage(bundle, ref, opts); err != nil {
				t.Fatalf("BundleFromImage: %v", err)
			}
			t.Cleanup(func() { BundleRemove(bundle) })
			spec := readConfig(t, bundle)
			uid, gid := spec.Linux.UIDMappings[0].HostID, spec.Linux.GIDMappings[0].HostID
			if uid == 0 {
				t.Fatalf("no user namespace: %+v", spec.Linux.UIDMappings)
			}
			if chowned {
				for _, n := range cacheLayers(t, cache) {
					if !strings.Contains(n, "-ids-") {
						t.Fatalf("the chowned cache holds an unmapped layer: %s", n)
					}
				}
			} else {
				assertSharedLayers(t, bundle, ref, cache)
			}
			var st unix.Stat_t
			if err := unix.Stat(filepath.Join(bundle, "rootfs/etc/owned"), &st); err != nil {
				t.Fatal(err)
			}
			if st.Uid != uid+1234 || st.Gid != gid+5678 {
				t.Fatalf("/etc/owned is %d:%d on the host, want %d:%d", st.Uid, st.Gid, uid+1234, gid+5678)
			}
			out, status := runBundle(t, bundle)
			if out != "0\n1234:5678\n0:0" || status != 0 {
				t.Fatalf("%q, status %d", out, status)
			}
			if err := unix.Stat(filepath.Join(bundle, "upper/etc/written"), &st); err != nil {
				t.Fatalf("the write is not in the upper dir: %v", err)
			}
			if st.Uid != uid || st.Gid != gid {
				t.Fatalf("upper/etc/written is %d:%d on the host, want %d:%d", st.Uid, st.Gid, uid, gid)
			}
			if n, err := ImageCachePrune(cache); err != nil || n != 0 {
				t.Fatalf("prune with the bundle live = %d, %v; want 0", n, err)
			}
			if err := BundleRemove(bundle); err != nil {
				t.Fatalf("BundleRemove: %v", err)
			}
			assertNothingLeft(t, bundle, "", 0)
			if n, err := ImageCachePrune(cache); err != nil || n != 2 {
				t.Fatalf("prune with the bundle removed = %d, %v; want 2", n, err)
			}
		})
	}
}

// TestBundleRemoveUnmountsIDMappedLayers: idmapped layers a crashed call
// left mounted in a bundle are unmounted by its removal, after its
// overlay.
func TestBundleRemoveUnmountsIDMappedLayers(t *testing.T) {
	ref := filepath.Join(testImages(t), "busybox")
	cache := filepath.Join(t.TempDir(), "cache")
	bundle := filepath.Join(userNSParent(t), "b")
	if err := BundleFromImage(bundle, ref, ImageOptions{CacheDir: cache, Bundle: BundleOptions{UserNS: UserNSSubIDs}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { BundleRemove(bundle) })
	layers := bundleLayers(t, bundle, cache)
	var want []string
	for i, l := range layers {
		lower := filepath.Join(bundle, "lower", string(rune('0'+i)))
		if err := unix.Mount(l, lower, "", unix.MS_BIND, ""); err != nil {
			t.Fatal(err)
		}
		want = append(want, lower)
	}
	assertMountsBeneath(t, bundle, append([]string{filepath.Join(bundle, "rootfs")}, want...)...)
	if err := BundleRemove(bundle); err != nil {
		t.Fatalf("BundleRemove: %v", err)
	}
	assertNothingLeft(t, bundle, "", 0)
	assertMountsBeneath(t, filepath.Dir(bundle))
}
