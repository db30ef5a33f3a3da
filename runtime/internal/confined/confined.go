// Package confined reads, writes and removes the library's state files
// beneath their root.
package confined

import (
	"os"
	"path/filepath"
)

// State files are read, written and removed through an os.Root opened on
// the dir two levels up (`<root>/containers` for a container's files): the
// kernel resolves the rest below it (openat2's RESOLVE_BENEATH, or a walk
// refusing symlinks that leave it), so a symlink planted at
// `<root>/containers/<id>` or inside it never leads a read, write or
// remove outside the root.

// confine splits path into the dir two levels up and the rest.
func confine(path string) (anchor, rel string) {
	dir, file := filepath.Split(filepath.Clean(path))
	anchor, sub := filepath.Split(filepath.Clean(dir))
	return anchor, filepath.Join(sub, file)
}

// inRoot runs fn on the os.Root of path's anchor with path's rest.
func inRoot(path string, fn func(r *os.Root, rel string) error) error {
	anchor, rel := confine(path)
	r, err := os.OpenRoot(anchor)
	if err != nil {
		return err
	}
	defer r.Close()
	return fn(r, rel)
}

// Read reads the state file path.
func Read(path string) (data []byte, err error) {
	err = inRoot(path, func(r *os.Root, rel string) error {
		data, err = r.ReadFile(rel)
		return err
	})
	return data, err
}

// Write writes the new state file path atomically, through tmp in
// its dir; it never follows a symlink planted at tmp.
func Write(path string, data []byte) error {
	return inRoot(path, func(r *os.Root, rel string) error {
		tmp := rel + ".tmp"
		r.Remove(tmp)
		f, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = r.Rename(tmp, rel)
		}
		if err != nil {
			r.Remove(tmp)
		}
		return err
	})
}

// Remove removes the state file or dir path and what it holds; a
// symlink there is removed, never followed.
func Remove(path string) error {
	return inRoot(path, func(r *os.Root, rel string) error { return r.RemoveAll(rel) })
}
