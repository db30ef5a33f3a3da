package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/libexecution/execution/runtime/internal/confined"
)

// plantOutside makes a dir outside the root holding what a container's
// state dir holds, and returns it with its record's content.
func plantOutside(t *testing.T, id string) (dir string, record []byte) {
	t.Helper()
	dir = t.TempDir()
	record = []byte(`{"id":"` + id + `","pid":1,"start_time":1}`)
	if err := os.WriteFile(filepath.Join(dir, containerRecordName), record, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, record
}

// checkUntouched fails unless dir still holds record and nothing else.
func checkUntouched(t *testing.T, dir string, record []byte) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(dir, containerRecordName))
	if err != nil || string(got) != string(record) {
		t.Errorf("the record outside the root changed: %q, %v", got, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the dir outside the root holds %d entries, want 1", len(ents))
	}
}

func TestSymlinkedStateDirNeverFollowed(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	id := testID(t)
	outside, want := plantOutside(t, id)
	containers := filepath.Join(rt.root, "containers")
	if err := os.MkdirAll(containers, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(containers, id)
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	if c, err := rt.Load(bg, id); err == nil {
		c.Close()
		t.Errorf("Load read a state dir outside the root")
	}
	if _, err := rt.Create(bg, id, newBundle(t, false, "true"), NullIO()); err == nil {
		t.Errorf("Create used a state dir outside the root")
	}
	// Refused (the record lies outside), or done on the link alone.
	removeStateDir(link, containerRecordName)
	if err := confined.Remove(link); err != nil {
		t.Errorf("confined.Remove: %v", err)
	}
	if _, err := os.Lstat(link); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the planted symlink is still there: %v", err)
	}
	checkUntouched(t, outside, want)
}

func TestSymlinkInStateDirNeverFollowed(t *testing.T) {
	root := t.TempDir()
	outside, want := plantOutside(t, "x")
	dir := filepath.Join(root, "containers", "x")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(outside, containerRecordName)
	for _, name := range []string{containerRecordName, containerRecordName + ".tmp", cgroupNoteName} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := readRecord(dir, containerRecordName, "container", "x"); err == nil {
		t.Errorf("readRecord followed a symlink out of the root")
	}
	if err := writeJSON(filepath.Join(dir, containerRecordName), record{ID: "x"}); err != nil {
		t.Errorf("writeJSON: %v", err)
	}
	c := &Container{proc: proc{dir: dir}}
	c.cgroupNote()
	if err := removeStateDir(dir, containerRecordName); err != nil {
		t.Errorf("removeStateDir: %v", err)
	}
	checkUntouched(t, outside, want)
}
