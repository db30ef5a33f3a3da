package monitor

import (
	"os"
	"path/filepath"
	"testing"
)

func TestChangedCopyIsRefusedAndWrittenAgain(t *testing.T) {
	image := []byte("#!/bin/sh\nexit 0\n")
	SetProgram(image)
	defer SetProgram(nil)
	root := t.TempDir()
	monitorProgram.Lock()
	defer monitorProgram.Unlock()
	f, err := monitorCopy(root)
	if err != nil {
		t.Fatalf("monitorCopy: %v", err)
	}
	copies, _ := filepath.Glob(filepath.Join(root, "monitor-*"))
	if len(copies) != 1 {
		t.Fatalf("copies %v", copies)
	}
	path := copies[0]
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("copy %v %v", st, err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if g, err := openMonitorCopy(path, monitorProgram.image); err == nil {
		g.Close()
		t.Errorf("a changed copy passed the check")
	}
	delete(monitorProgram.copies, root)
	f.Close()
	if f, err = monitorCopy(root); err != nil {
		t.Fatalf("monitorCopy over a changed copy: %v", err)
	}
	f.Close()
	delete(monitorProgram.copies, root)
	if got, err := os.ReadFile(path); err != nil || string(got) != string(image) {
		t.Errorf("the copy written again holds %q (%v)", got, err)
	}
}
