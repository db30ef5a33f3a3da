package image

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/libexecution/execution/runtime/internal/testregistry"
)

// startRegistry starts a registry for one test, stopped at its end.
func startRegistry(t *testing.T, o testregistry.Options) *testregistry.Registry {
	t.Helper()
	r, err := testregistry.Start(t.TempDir(), o)
	if err != nil {
		t.Skipf("no registry: %v", err)
	}
	t.Cleanup(r.Stop)
	return r
}

// testImage is a random image of layers layers of size bytes for arch.
func testImage(t *testing.T, size int64, layers int, arch string) v1.Image {
	t.Helper()
	img, err := random.Image(size, int64(layers))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// push pushes img as repoAndTag and returns its digest.
func push(t *testing.T, r *testregistry.Registry, repoAndTag string, img v1.Image) string {
	t.Helper()
	d, err := r.Push(repoAndTag, img)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	return d
}

// noPartial fails t if the layout holds a temp file of a pull.
func noPartial(t *testing.T, dir string) {
	t.Helper()
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasPrefix(fi.Name(), ".") {
			t.Errorf("partial file left in the layout: %s", p)
		}
		return nil
	})
}

// hasBlob reports whether the layout at dir holds the blob d.
func hasBlob(dir, d string) bool {
	_, err := os.Stat(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(d, "sha256:")))
	return err == nil
}

func TestPullByTagAndDigest(t *testing.T) {
	r := startRegistry(t, testregistry.Options{})
	img := testImage(t, 4096, 2, goruntime.GOARCH)
	want := push(t, r, "app:1", img)
	dir := filepath.Join(t.TempDir(), "layout")
	var seen []Progress
	got, err := Pull(context.Background(), r.Ref("app:1"), dir, PullOptions{
		Parallel: 2,
		Progress: func(p Progress) bool { seen = append(seen, p); return false },
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("pulled %s, pushed %s", got, want)
	}
	finished := map[string]bool{}
	for _, p := range seen {
		if p.Done == p.Total && p.Total > 0 {
			finished[p.Blob] = true
		}
	}
	if len(finished) != 3 {
		t.Errorf("progress finished %d blobs, want 3 (config and 2 layers): %v", len(finished), seen)
	}
	plat, _ := parsePlatform("")
	src, err := openLayout(dir, r.Ref("app:1"), plat)
	if err != nil {
		t.Fatalf("the pulled layout does not open: %v", err)
	}
	src.close()
	noPartial(t, dir)

	byDigest := filepath.Join(t.TempDir(), "layout")
	if got, err = Pull(context.Background(), r.Ref("app@"+want), byDigest, PullOptions{}); err != nil || string(got) != want {
		t.Fatalf("pull by digest: %s, %v", got, err)
	}
	if _, err := openLayout(byDigest, r.Ref("app@"+want), plat); err != nil {
		t.Fatal(err)
	}
}

func TestPullIndexPicksPlatform(t *testing.T) {
	r := startRegistry(t, testregistry.Options{})
	other := "arm64"
	if goruntime.GOARCH == other {
		other = "amd64"
	}
	host := testImage(t, 1024, 1, goruntime.GOARCH)
	foreign := testImage(t, 1024, 1, other)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: foreign, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: other}}},
		mutate.IndexAddendum{Add: host, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: goruntime.GOARCH}}})
	if _, err := r.PushIndex("multi:latest", idx); err != nil {
		t.Fatal(err)
	}
	hostDigest, _ := host.Digest()
	foreignDigest, _ := foreign.Digest()
	dir := t.TempDir()
	got, err := Pull(context.Background(), r.Ref("multi:latest"), dir, PullOptions{})
	if err != nil || string(got) != hostDigest.String() {
		t.Fatalf("host platform: pulled %s (%v), want %s", got, err, hostDigest)
	}
	got, err = Pull(context.Background(), r.Ref("multi:latest"), t.TempDir(), PullOptions{Platform: "linux/" + other})
	if err != nil || string(got) != foreignDigest.String() {
		t.Fatalf("linux/%s: pulled %s (%v), want %s", other, got, err, foreignDigest)
	}
	if _, err := Pull(context.Background(), r.Ref("multi:latest"), t.TempDir(), PullOptions{Platform: "linux/s390x"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a platform the index lacks: %v, want ErrInvalid", err)
	}
}

func TestPullAuthTLS(t *testing.T) {
	r := startRegistry(t, testregistry.Options{TLS: true, User: "alice", Password: "s3cret"})
	want := push(t, r, "private:1", testImage(t, 1024, 1, goruntime.GOARCH))
	ok := PullOptions{Username: "alice", Password: "s3cret", CAFile: r.CAFile()}
	got, err := Pull(context.Background(), r.Ref("private:1"), t.TempDir(), ok)
	if err != nil || string(got) != want {
		t.Fatalf("pull with credentials and CA: %s, %v", got, err)
	}
	bad := ok
	bad.Password = "wrong"
	if _, err := Pull(context.Background(), r.Ref("private:1"), t.TempDir(), bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("wrong password: %v, want ErrInvalid", err)
	}
	noCA := ok
	noCA.CAFile = ""
	if _, err := Pull(context.Background(), r.Ref("private:1"), t.TempDir(), noCA); err == nil {
		t.Errorf("a registry whose CA is not trusted was pulled from")
	}
	insecure := noCA
	insecure.Insecure = true
	if _, err := Pull(context.Background(), r.Ref("private:1"), t.TempDir(), insecure); err != nil {
		t.Errorf("insecure: %v", err)
	}
}

func TestPullRefusesPlainHTTPBeyondLoopback(t *testing.T) {
	tr, err := newPullTransport("192.0.2.1:5000", "", false)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://192.0.2.1:5000/v2/", nil)
	if _, err := tr.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "plain HTTP") {
		t.Fatalf("plain HTTP to a remote registry: %v", err)
	}
}

func TestPullWrongDigestAndMissing(t *testing.T) {
	r := startRegistry(t, testregistry.Options{})
	img := testImage(t, 4096, 1, goruntime.GOARCH)
	want := push(t, r, "bad:1", img)
	layers, _ := img.Layers()
	ld, _ := layers[0].Digest()
	data := r.BlobData(ld.String())
	raw, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0xff
	if err := os.WriteFile(data, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, err = Pull(context.Background(), r.Ref("bad:1"), dir, PullOptions{})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "does not match its digest") {
		t.Fatalf("tampered layer: %v, want a digest mismatch", err)
	}
	if hasBlob(dir, ld.String()) {
		t.Errorf("the tampered layer is in the layout")
	}
	noPartial(t, dir)

	missing := strings.Repeat("0", 64)
	if _, err := Pull(context.Background(), r.Ref("bad@sha256:"+missing), t.TempDir(), PullOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown digest: %v, want ErrNotFound", err)
	}
	if _, err := Pull(context.Background(), r.Ref("bad:nope"), t.TempDir(), PullOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing tag: %v, want ErrNotFound", err)
	}
	if _, err := Pull(context.Background(), r.Ref("nope:1"), t.TempDir(), PullOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing repository: %v, want ErrNotFound", err)
	}
	_ = want
}

func TestPullCancel(t *testing.T) {
	r := startRegistry(t, testregistry.Options{})
	push(t, r, "big:1", testImage(t, 8<<20, 1, goruntime.GOARCH))
	dir := t.TempDir()
	calls := 0
	_, err := Pull(context.Background(), r.Ref("big:1"), dir, PullOptions{
		Progress: func(p Progress) bool { calls++; return p.Done > 0 && p.Done < p.Total },
	})
	if !errors.Is(err, ErrCanceled) {
		t.Fatalf("cancel: %v (%d calls), want ErrCanceled", err, calls)
	}
	noPartial(t, dir)
	if raw, _ := os.ReadFile(filepath.Join(dir, "index.json")); strings.Contains(string(raw), "big") {
		t.Errorf("a cancelled pull is named in index.json: %s", raw)
	}
}

func TestPullRegistryDiesThenResumes(t *testing.T) {
	r := startRegistry(t, testregistry.Options{})
	img := testImage(t, 16<<20, 2, goruntime.GOARCH)
	want := push(t, r, "die:1", img)
	dir := t.TempDir()
	stopped := false
	_, err := Pull(context.Background(), r.Ref("die:1"), dir, PullOptions{
		Progress: func(p Progress) bool {
			if !stopped && p.Total > 1<<20 && p.Done > 0 {
				r.Stop()
				stopped = true
			}
			return false
		},
	})
	if err == nil || !stopped {
		t.Fatalf("a pull from a registry killed mid-pull: %v (stopped %v)", err, stopped)
	}
	noPartial(t, dir)
	if err := r.Restart(); err != nil {
		t.Fatal(err)
	}
	got, err := Pull(context.Background(), r.Ref("die:1"), dir, PullOptions{})
	if err != nil || string(got) != want {
		t.Fatalf("pull after the restart: %s, %v", got, err)
	}

	// A second image sharing the layers pulls with those layers gone
	// from the registry: they come from the layout.
	more, err := mutate.AppendLayers(img, testLayer(t))
	if err != nil {
		t.Fatal(err)
	}
	want2 := push(t, r, "die:2", more)
	layers, _ := img.Layers()
	for _, l := range layers {
		d, _ := l.Digest()
		if err := os.Remove(r.BlobData(d.String())); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := Pull(context.Background(), r.Ref("die:2"), dir, PullOptions{}); err != nil || string(got) != want2 {
		t.Fatalf("pull reusing the layout's layers: %s, %v", got, err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	for _, tag := range []string{"die:1", "die:2"} {
		if !strings.Contains(string(raw), tag) {
			t.Errorf("index.json lacks %s: %s", tag, raw)
		}
	}
}

// testLayer is one small random layer.
func testLayer(t *testing.T) v1.Layer {
	l, err := random.Layer(512, "application/vnd.oci.image.layer.v1.tar+gzip")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestPullTimeout(t *testing.T) {
	r := startRegistry(t, testregistry.Options{})
	push(t, r, "slow:1", testImage(t, 1024, 1, goruntime.GOARCH))
	_, err := Pull(context.Background(), r.Ref("slow:1"), t.TempDir(), PullOptions{Timeout: time.Nanosecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("a pull past its timeout: %v, want ErrTimeout", err)
	}
}

func TestPullConcurrentIntoOneLayout(t *testing.T) {
	r := startRegistry(t, testregistry.Options{})
	tags := []string{"a:1", "b:1", "c:1", "d:1"}
	for _, tag := range tags {
		push(t, r, tag, testImage(t, 2048, 2, goruntime.GOARCH))
	}
	dir := t.TempDir()
	errs := make(chan error, len(tags))
	for _, tag := range tags {
		go func(tag string) {
			_, err := Pull(context.Background(), r.Ref(tag), dir, PullOptions{Parallel: 2})
			errs <- err
		}(tag)
	}
	for range tags {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	for _, tag := range tags {
		if !strings.Contains(string(raw), r.Ref(tag)) {
			t.Errorf("index.json lacks %s: %s", tag, raw)
		}
	}
	noPartial(t, dir)
}
