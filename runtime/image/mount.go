package image

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// lowerdirPlus is whether to try the file system context API first; a
// test turns it off to exercise the one-string form.
var lowerdirPlus = true

// mountOverlay mounts at target the overlay of lowers (bottom layer first)
// under upper and work, nosuid and nodev: the image's setuid files and
// device nodes give nothing to whoever reaches them. Each lower dir is
// passed on its own ("lowerdir+", Linux 6.8) so that no option string
// bounds the layer count; older kernels get the one-string form, with each
// lower dir named by a short /proc/self/fd path, as podman names them by
// short links, so that about 200 layers fit a page.
func mountOverlay(target string, lowers []string, upper, work string) error {
	if lowerdirPlus {
		err := mountOverlayEach(target, lowers, upper, work)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) {
			return sysErr("image: mount overlay at "+target, err)
		}
	}
	top := make([]string, len(lowers))
	for i, l := range lowers {
		f, err := os.OpenFile(l, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return sysErr("image: overlay lower dir", err)
		}
		defer f.Close()
		top[len(lowers)-1-i] = "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	}
	data := "lowerdir=" + strings.Join(top, ":") + ",upperdir=" + upper + ",workdir=" + work
	if len(data) >= os.Getpagesize() {
		return wrapf(ErrInvalid, "image: %d layers under %s make an overlay option string too long for mount(2) on this kernel", len(lowers), filepath.Dir(lowers[0]))
	}
	if err := unix.Mount("overlay", target, "overlay", unix.MS_NOSUID|unix.MS_NODEV, data); err != nil {
		return sysErr("image: mount overlay at "+target, err)
	}
	return nil
}

// mountOverlayEach mounts the overlay with the file system context API,
// one lower dir per option, top first.
func mountOverlayEach(target string, lowers []string, upper, work string) error {
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return err
	}
	defer unix.Close(fsfd)
	for i := len(lowers) - 1; i >= 0; i-- {
		if err := unix.FsconfigSetString(fsfd, "lowerdir+", lowers[i]); err != nil {
			return err
		}
	}
	if err := unix.FsconfigSetString(fsfd, "upperdir", upper); err != nil {
		return err
	}
	if err := unix.FsconfigSetString(fsfd, "workdir", work); err != nil {
		return err
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return err
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV)
	if err != nil {
		return err
	}
	defer unix.Close(mfd)
	return unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH)
}

// unmountBundle unmounts a bundle's overlay, then the idmapped layers
// still mounted under it.
func unmountBundle(bundle string) error {
	if err := unmountRootfs(filepath.Join(bundle, "rootfs")); err != nil {
		return err
	}
	return unmountLowers(bundle)
}

// unmountRootfs unmounts a bundle's overlay; one not mounted is no error.
func unmountRootfs(rootfs string) error {
	err := unix.Unmount(rootfs, unix.UMOUNT_NOFOLLOW)
	if err == nil || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if errors.Is(err, unix.EBUSY) {
		return wrapf(ErrState, "image: %s is busy (a process of the host uses it)", rootfs)
	}
	return sysErr("image: unmount "+rootfs, err)
}
