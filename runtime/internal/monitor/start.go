package monitor

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"unsafe"

	"github.com/libexecution/execution/runtime/internal/confined"
	"github.com/libexecution/execution/runtime/internal/errdefs"
	"golang.org/x/sys/unix"
)

// The monitor program, as SetProgram registered it, and the sealed
// memfd it runs from; or, where the kernel refuses to execute a memfd,
// each root's private copy of it.
var monitorProgram struct {
	sync.Mutex
	image  []byte
	exe    *os.File
	copies map[string]*os.File
}

// CopyOnly makes the monitor run from its private copy in the root,
// as where the kernel refuses to execute a memfd; for the tests.
var CopyOnly bool

// ExtraOptions are more options for the monitors this process starts
// (monitor/monitor.c's parse_options); for the tests.
var ExtraOptions []string

// SetProgram registers the executable image of the monitor
// (monitor/monitor.c, built by the Makefile); runtime.SetMonitorProgram
// says who calls it. The caller never changes image afterwards: it is
// registered, not copied.
func SetProgram(image []byte) {
	monitorProgram.Lock()
	defer monitorProgram.Unlock()
	monitorProgram.image = image
	if monitorProgram.exe != nil {
		monitorProgram.exe.Close()
		monitorProgram.exe = nil
	}
	for root, f := range monitorProgram.copies {
		f.Close()
		delete(monitorProgram.copies, root)
	}
}

// Program returns the image SetProgram registered.
func Program() []byte {
	monitorProgram.Lock()
	defer monitorProgram.Unlock()
	return monitorProgram.image
}

// Memfd returns the sealed memfd holding the monitor's program, shared by
// this process's users of it (the user namespace holder of image layers
// among them); the caller must not close it.
func Memfd() (*os.File, error) {
	monitorProgram.Lock()
	defer monitorProgram.Unlock()
	if len(monitorProgram.image) == 0 {
		return nil, errdefs.Wrapf(errdefs.ErrInternal, "no monitor program registered (runtime.SetMonitorProgram)")
	}
	return monitorMemfd()
}

// mfdExec is MFD_EXEC: a memfd that may be executed where
// vm.memfd_noexec makes memfds non-executable by default (Linux 6.3).
const mfdExec = 0x10

// highFd is the lowest fd the executable is kept at: starting a process
// rewrites the fds just above its stdio and socket, where a host that
// closed its stdio would get the executable's fd.
const highFd = 10

// sealedMemfd returns a memfd holding data, sealed against any change.
func sealedMemfd(name string, data []byte, flags int) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|flags)
	if err != nil {
		return nil, errdefs.SysErr("memfd_create", err)
	}
	f := os.NewFile(uintptr(fd), name)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, errdefs.SysErr("write "+name, err)
	}
	seals := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, errdefs.SysErr("seal "+name, err)
	}
	return f, nil
}

// ExecMemfd returns a memfd holding the program data, sealed against any
// change, made executable where the kernel knows MFD_EXEC.
func ExecMemfd(name string, data []byte) (*os.File, error) {
	f, err := sealedMemfd(name, data, mfdExec)
	if errors.Is(err, unix.EINVAL) {
		f, err = sealedMemfd(name, data, 0)
	}
	return f, err
}

// KeepHigh moves f to an fd at highFd or above, where a program run from
// /proc/self/fd/N keeps it: starting a process rewrites the fds just above
// its stdio with the files it is given.
func KeepHigh(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, highFd)
	f.Close()
	if err != nil {
		return nil, errdefs.SysErr("dup "+f.Name(), err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// monitorMemfd returns the sealed memfd holding the monitor, made once per
// process, so no file is installed and no one can change it; made
// executable where the kernel knows MFD_EXEC. Where the kernel refuses an
// executable memfd (vm.memfd_noexec = 2), it fails with EACCES.
func monitorMemfd() (*os.File, error) {
	if monitorProgram.exe != nil {
		return monitorProgram.exe, nil
	}
	f, err := ExecMemfd("execution-monitor", monitorProgram.image)
	if err == nil {
		f, err = KeepHigh(f)
	}
	if err != nil {
		return nil, err
	}
	monitorProgram.exe = f
	return f, nil
}

// monitorCopy returns root's private copy of the monitor, for a kernel
// that executes no memfd: <root>/monitor-<digest>, mode 0700, written to a
// temp file and renamed, and checked byte for byte against the
// image each time a process first uses it, on the fd it then runs from.
func monitorCopy(root string) (*os.File, error) {
	if f := monitorProgram.copies[root]; f != nil {
		return f, nil
	}
	image := monitorProgram.image
	sum := sha256.Sum256(image)
	path := filepath.Join(root, fmt.Sprintf("monitor-%x", sum[:8]))
	f, err := openMonitorCopy(path, image)
	if err != nil {
		if err = writeMonitorCopy(path, image); err != nil {
			return nil, err
		}
		if f, err = openMonitorCopy(path, image); err != nil {
			return nil, err
		}
	}
	if f, err = KeepHigh(f); err != nil {
		return nil, err
	}
	if monitorProgram.copies == nil {
		monitorProgram.copies = map[string]*os.File{}
	}
	monitorProgram.copies[root] = f
	return f, nil
}

// openMonitorCopy opens path and checks that it is a file of this user,
// writable by no one else, holding exactly image.
func openMonitorCopy(path string, image []byte) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG ||
		st.Uid != uint32(os.Geteuid()) || st.Mode&0o022 != 0 || st.Size != int64(len(image)) {
		f.Close()
		return nil, errdefs.Wrapf(errdefs.ErrSys, "monitor copy %s is not this user's private copy", path)
	}
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, image) {
		f.Close()
		return nil, errdefs.Wrapf(errdefs.ErrSys, "monitor copy %s does not hold the monitor", path)
	}
	return f, nil
}

// writeMonitorCopy writes image to path through a temp file, mode 0700.
func writeMonitorCopy(path string, image []byte) error {
	if err := confined.Write(path, image); err != nil {
		return errdefs.SysErr("write monitor copy", err)
	}
	return errdefs.SysErr("write monitor copy", os.Chmod(path, 0o700))
}

// monitorExecutable returns the file the monitor runs from: the memfd, or
// root's private copy when copy is set (CopyOnly sets it always).
func monitorExecutable(root string, copy bool) (*os.File, error) {
	monitorProgram.Lock()
	defer monitorProgram.Unlock()
	if len(monitorProgram.image) == 0 {
		return nil, errdefs.Wrapf(errdefs.ErrInternal, "no monitor program registered (runtime.SetMonitorProgram)")
	}
	if copy || CopyOnly {
		return monitorCopy(root)
	}
	return monitorMemfd()
}

// startMonitor binds the socket of files in root and starts a monitor
// serving it, from a memfd, or from its copy in the root where the kernel
// executes no memfd. The monitor leaves its starter at once, so this
// process reaps only that short-lived starter, by its own pid, through the
// returned function: the caller connects first, since the socket takes
// connections before the monitor runs. A host that ignores SIGCHLD or
// reaps with wait(-1) only makes that wait fail, which changes nothing.
func startMonitor(root string, files monitorFiles) (reap func(), err error) {
	// The private copy is made only where the memfd fails: writing and
	// checking it is no part of an ordinary first call.
	exe, err := monitorExecutable(root, false)
	if err != nil && !CopyOnly {
		exe, err = monitorExecutable(root, true)
	}
	if err != nil {
		return nil, err
	}
	sock := filepath.Join(root, files.socket)
	listener, err := listenMonitor(sock)
	if err != nil {
		return nil, err
	}
	defer listener.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, errdefs.SysErr("open /dev/null", err)
	}
	defer null.Close()
	FixSignalHandlers()
	args := append([]string{"execution-monitor", root, "--socket=" + files.socket, "--lock=" + files.lock},
		ExtraOptions...)
	sys := &syscall.SysProcAttr{Setsid: true}
	escape := hostIsSubreaper()
	if escape {
		sys.Cloneflags = unix.CLONE_PARENT
	}
	var errs []error
	for copied := CopyOnly; ; copied = true {
		p, err := os.StartProcess(fmt.Sprintf("/proc/self/fd/%d", exe.Fd()), args, &os.ProcAttr{
			Dir:   "/",
			Env:   []string{}, // each runtime call brings its own
			Files: []*os.File{null, null, null, listener},
			Sys:   sys,
		})
		if err == nil && escape {
			p.Release()
			return func() {}, nil
		}
		if err == nil {
			return func() { p.Wait() }, nil
		}
		errs = append(errs, err)
		if copied {
			break
		}
		if exe, err = monitorExecutable(root, true); err != nil {
			errs = append(errs, err)
			break
		}
	}
	os.Remove(sock)
	return nil, errdefs.SysErr("start monitor", errors.Join(errs...))
}

// hostIsSubreaper tells whether this process is a child subreaper (and
// not PID 1, which cannot start a sibling): the monitor, which leaves its
// starter, would then become its child. It is started as this process's
// sibling instead, whose starter this process's parent reaps.
func hostIsSubreaper() bool {
	var v int32
	err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&v)), 0, 0, 0)
	return err == nil && v != 0 && os.Getpid() != 1
}

// listenMonitor binds a fresh listening socket at sock, mode 0600.
func listenMonitor(sock string) (*os.File, error) {
	os.Remove(sock)
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, errdefs.SysErr("monitor socket", err)
	}
	f := os.NewFile(uintptr(fd), "monitor-listener")
	if err := unix.Fchmod(fd, 0o600); err != nil {
		f.Close()
		return nil, errdefs.SysErr("monitor socket", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: sock}); err != nil {
		f.Close()
		if err == unix.EINVAL || err == unix.ENAMETOOLONG {
			return nil, errdefs.Wrapf(errdefs.ErrInvalid, "root %q is too long for a unix socket path", sock)
		}
		return nil, errdefs.SysErr("bind monitor socket", err)
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		f.Close()
		os.Remove(sock)
		return nil, errdefs.SysErr("monitor socket", err)
	}
	if err := unix.Listen(fd, 128); err != nil {
		f.Close()
		os.Remove(sock)
		return nil, errdefs.SysErr("listen on monitor socket", err)
	}
	return f, nil
}
