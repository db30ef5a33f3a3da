package runtime

import "golang.org/x/sys/unix"

// getxattr reads the extended attribute name of path.
func getxattr(path, name string) (string, error) {
	buf := make([]byte, 256)
	n, err := unix.Lgetxattr(path, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}
