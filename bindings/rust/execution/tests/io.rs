//! Standard streams: pipes, caller fds, terminals.

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsFd;

use common::{read_all, Bundle, Fixture, TempDir, PATIENCE};
use execution::{ErrorKind, Io, Stdio};

#[test]
fn stdout_and_stderr_pipes() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sh", "-c", "echo to stdout; echo to stderr >&2; exit 5"]);
    let c = fx
        .runtime
        .run(
            &fx.id(),
            bundle.path(),
            Io::new().stdout(Stdio::Pipe).stderr(Stdio::Pipe),
        )
        .unwrap();
    let stdout = c.take_stdout().unwrap();
    let stderr = c.take_stderr().unwrap();
    assert_eq!(read_all(stdout), "to stdout\n");
    assert_eq!(read_all(stderr), "to stderr\n");
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(5));
    c.delete(false).unwrap();
}

#[test]
fn stdin_pipe() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sh", "-c", "read line; echo \"got $line\"; cat"]);
    let c = fx
        .runtime
        .create(&fx.id(), bundle.path(), Io::piped())
        .unwrap();
    let mut stdin = c.take_stdin().unwrap();
    let stdout = c.take_stdout().unwrap();
    c.start().unwrap();
    stdin.write_all(b"hello\nrest of the input\n").unwrap();
    drop(stdin);
    assert_eq!(read_all(stdout), "got hello\nrest of the input\n");
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(0));
    c.delete(false).unwrap();
}

#[test]
fn each_pipe_end_is_handed_over_once() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["true"]);
    let c = fx
        .runtime
        .create(&fx.id(), bundle.path(), Io::new().stdout(Stdio::Pipe))
        .unwrap();
    let _stdout = c.take_stdout().unwrap();
    assert_eq!(c.take_stdout().unwrap_err().kind(), ErrorKind::InvalidState);
    assert_eq!(
        c.take_stderr().unwrap_err().kind(),
        ErrorKind::InvalidArgument,
        "stderr is no pipe"
    );
    assert_eq!(
        c.take_terminal().unwrap_err().kind(),
        ErrorKind::InvalidArgument,
        "no terminal"
    );
    c.delete(false).unwrap();
}

#[test]
fn borrowed_and_owned_fds() {
    let fx = Fixture::new();
    let dir = TempDir::new();
    let out_path = dir.path().join("out");
    let err_path = dir.path().join("err");
    let out = File::create(&out_path).unwrap();
    let err = File::create(&err_path).unwrap();
    std::fs::write(dir.path().join("in"), "input from a file\n").unwrap();
    let input = File::open(dir.path().join("in")).unwrap();

    let bundle = Bundle::new(&["sh", "-c", "cat; echo oops >&2"]);
    let io = Io::new()
        .stdin(input.as_fd())
        .stdout(Stdio::fd(&out))
        .stderr(err);
    let c = fx.runtime.run(&fx.id(), bundle.path(), io).unwrap();
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(0));
    c.delete(false).unwrap();

    drop(out);
    assert_eq!(
        std::fs::read_to_string(&out_path).unwrap(),
        "input from a file\n"
    );
    assert_eq!(std::fs::read_to_string(&err_path).unwrap(), "oops\n");
    // The borrowed fd is still the caller's.
    assert!(input.metadata().is_ok());
}

#[test]
fn terminal_container() {
    let fx = Fixture::new();
    let bundle = Bundle::with_terminal(&["sh", "-c", "stty size; tty"], true);
    let c = fx
        .runtime
        .create(&fx.id(), bundle.path(), Io::terminal())
        .unwrap();
    let master = File::from(c.take_terminal().unwrap());
    assert_eq!(
        c.take_terminal().unwrap_err().kind(),
        ErrorKind::InvalidState
    );
    assert_eq!(
        c.take_stdout().unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    c.resize(33, 101).unwrap();
    c.start().unwrap();
    let output = read_all(master);
    assert!(
        output.contains("33 101"),
        "stty size saw another window size: {output:?}"
    );
    assert!(
        output.contains("/dev/pts/") || output.contains("/dev/console"),
        "no tty: {output:?}"
    );
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(0));
    c.delete(false).unwrap();
}

#[test]
fn terminal_input_reaches_the_process() {
    let fx = Fixture::new();
    let bundle = Bundle::with_terminal(&["sh", "-c", "read line; echo \"got:$line\""], true);
    let c = fx
        .runtime
        .run(&fx.id(), bundle.path(), Io::terminal())
        .unwrap();
    let mut master = File::from(c.take_terminal().unwrap());
    master.write_all(b"typed\n").unwrap();
    let mut output = String::new();
    let mut chunk = [0u8; 256];
    while !output.contains("got:typed") {
        match master.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => output.push_str(&String::from_utf8_lossy(&chunk[..n])),
        }
    }
    assert!(output.contains("got:typed"), "terminal output: {output:?}");
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(0));
    c.delete(false).unwrap();
}

#[test]
fn resize_without_terminal_is_an_invalid_argument() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["true"]);
    let c = fx
        .runtime
        .create(&fx.id(), bundle.path(), Io::new())
        .unwrap();
    assert_eq!(
        c.resize(24, 80).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    c.delete(false).unwrap();
}

#[test]
fn terminal_must_match_the_config() {
    let fx = Fixture::new();
    let plain = Bundle::new(&["true"]);
    let err = fx
        .runtime
        .create(&fx.id(), plain.path(), Io::terminal())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let tty = Bundle::with_terminal(&["true"], true);
    let err = fx
        .runtime
        .create(&fx.id(), tty.path(), Io::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert_eq!(
        fx.runtime.list().unwrap(),
        Vec::<String>::new(),
        "a failed create left a container"
    );
}
