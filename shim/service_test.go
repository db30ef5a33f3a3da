package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	eventstypes "github.com/containerd/containerd/api/events"
	"github.com/containerd/containerd/events"
	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/pkg/shutdown"
	"github.com/containerd/containerd/protobuf"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/libexecution/execution/runtime"
)

// The service in this process, on real runc, with the events it would send
// containerd recorded: what ctr of containerd 1.6 cannot ask (update) and
// the order of the events.

type recorder struct {
	mu     sync.Mutex
	topics []string
	events []events.Event
}

func (r *recorder) Publish(ctx context.Context, topic string, event events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.topics = append(r.topics, topic)
	r.events = append(r.events, event)
	return nil
}

func (r *recorder) Close() error { return nil }

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.topics...)
}

func TestServiceUpdateAndEventOrder(t *testing.T) {
	_, rootfs := requireSetup(t)
	dir := t.TempDir()
	id := fmt.Sprintf("svc-%d", os.Getpid())
	bundle := filepath.Join(dir, "state", "io.containerd.runtime.v2.task", "test", id)
	if err := os.MkdirAll(bundle, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(rootfs, filepath.Join(bundle, "rootfs")); err != nil {
		t.Fatal(err)
	}
	if err := runtime.BundleInit(bundle, []string{"sh", "-c", "sleep 0.5; exit 7"}, false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(namespaces.WithNamespace(context.Background(), "test"))
	defer cancel()
	_, sd := shutdown.WithShutdown(ctx)
	defer sd.Shutdown()
	pub := &recorder{}
	s, err := newService(ctx, pub, sd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, &taskAPI.CreateTaskRequest{ID: id, Bundle: bundle}); err != nil {
		t.Fatalf("create: %v", err)
	}
	limit := int64(64 << 20)
	res, _ := json.Marshal(specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}})
	if _, err := s.Update(ctx, &taskAPI.UpdateTaskRequest{ID: id, Resources: &anypb.Any{Value: res}}); err != nil {
		t.Fatalf("update: %v", err)
	}
	st, err := s.tasks[id].c.Stats(ctx)
	if err != nil || st.MemoryLimit != uint64(limit) {
		t.Fatalf("after the update the limit is %d (%v), want %d", st.MemoryLimit, err, limit)
	}
	if r, err := s.Stats(ctx, &taskAPI.StatsRequest{ID: id}); err != nil || len(r.Stats.GetValue()) == 0 {
		t.Fatalf("stats: %v", err)
	}
	if _, err := s.Start(ctx, &taskAPI.StartRequest{ID: id}); err != nil {
		t.Fatalf("start: %v", err)
	}
	w, err := s.Wait(ctx, &taskAPI.WaitRequest{ID: id})
	if err != nil || w.ExitStatus != 7 {
		t.Fatalf("wait: %v %v, want 7", w, err)
	}
	d, err := s.Delete(ctx, &taskAPI.DeleteRequest{ID: id})
	if err != nil || d.ExitStatus != 7 {
		t.Fatalf("delete: %v %v", d, err)
	}
	want := []string{topicCreate, topicStart, topicExit, topicDelete}
	if got := pub.seen(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	exit := pub.events[2].(*eventstypes.TaskExit)
	if exit.ExitStatus != 7 || exit.ContainerID != id || protobuf.FromTimestamp(exit.ExitedAt).IsZero() {
		t.Fatalf("exit event %+v", exit)
	}
}
