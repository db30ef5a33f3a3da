package runtime

import (
	"fmt"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// The monitor program, as SetMonitorProgram registered it, and the sealed
// memfd it runs from.
var monitorProgram struct {
	sync.Mutex
	image []byte
	exe   *os.File
}

// SetMonitorProgram registers the executable image of the monitor
// (monitor/monitor.c, built by the Makefile). libexecution.so carries it and
// registers it when loaded; a Go program using this package directly must
// register it before the first runtime call.
func SetMonitorProgram(image []byte) {
	monitorProgram.Lock()
	defer monitorProgram.Unlock()
	monitorProgram.image = append([]byte(nil), image...)
	if monitorProgram.exe != nil {
		monitorProgram.exe.Close()
		monitorProgram.exe = nil
	}
}

// monitorExecutable returns a path that executes the monitor: a sealed memfd
// holding the image, made once per process, so no file is installed and no
// one can change it.
func monitorExecutable() (string, error) {
	monitorProgram.Lock()
	defer monitorProgram.Unlock()
	if monitorProgram.exe == nil {
		if len(monitorProgram.image) == 0 {
			return "", wrapf(ErrInternal, "no monitor program registered (runtime.SetMonitorProgram)")
		}
		fd, err := unix.MemfdCreate("execution-monitor", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
		if err != nil {
			return "", sysErr("memfd_create", err)
		}
		f := os.NewFile(uintptr(fd), "execution-monitor")
		if _, err := f.Write(monitorProgram.image); err != nil {
			f.Close()
			return "", sysErr("write monitor program", err)
		}
		seals := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
		if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
			f.Close()
			return "", sysErr("seal monitor program", err)
		}
		monitorProgram.exe = f
	}
	return fmt.Sprintf("/proc/self/fd/%d", monitorProgram.exe.Fd()), nil
}

// startMonitor binds root's monitor socket and starts a monitor serving it.
// The monitor leaves its starter at once, so this process reaps only that
// short-lived starter, by its own pid: a host that ignores SIGCHLD or reaps
// with wait(-1) only makes that wait fail, which changes nothing.
func startMonitor(root, sock string) error {
	exe, err := monitorExecutable()
	if err != nil {
		return err
	}
	listener, err := listenMonitor(sock)
	if err != nil {
		return err
	}
	defer listener.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return sysErr("open /dev/null", err)
	}
	defer null.Close()
	fixSignalHandlers()
	p, err := os.StartProcess(exe, []string{"execution-monitor", root}, &os.ProcAttr{
		Dir:   "/",
		Files: []*os.File{null, null, null, listener},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		os.Remove(sock)
		return sysErr("start monitor", err)
	}
	p.Wait()
	return nil
}

// listenMonitor binds a fresh listening socket at sock, mode 0600.
func listenMonitor(sock string) (*os.File, error) {
	os.Remove(sock)
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, sysErr("monitor socket", err)
	}
	f := os.NewFile(uintptr(fd), "monitor-listener")
	if err := unix.Fchmod(fd, 0o600); err != nil {
		f.Close()
		return nil, sysErr("monitor socket", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: sock}); err != nil {
		f.Close()
		if err == unix.EINVAL || err == unix.ENAMETOOLONG {
			return nil, wrapf(ErrInvalid, "root %q is too long for a unix socket path", sock)
		}
		return nil, sysErr("bind monitor socket", err)
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		f.Close()
		os.Remove(sock)
		return nil, sysErr("monitor socket", err)
	}
	if err := unix.Listen(fd, 128); err != nil {
		f.Close()
		os.Remove(sock)
		return nil, sysErr("listen on monitor socket", err)
	}
	return f, nil
}
