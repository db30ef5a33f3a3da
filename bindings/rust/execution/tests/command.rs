//! What a `std::process` user reaches for: output(), status(), try_wait(),
//! kill(), stderr merged into stdout, a guard that deletes an exec'd
//! process, an Exit that compares as its status, io::Error from Error.

mod common;

use std::io::Read;
use std::os::unix::process::ExitStatusExt;

use common::{Bundle, Fixture, PATIENCE};
use execution::{ErrorKind, Io, ProcessSpec, Stdio};

fn sh(script: &str) -> ProcessSpec {
    ProcessSpec::new(["sh", "-c", script])
}

#[test]
fn output_reads_both_streams_past_a_full_pipe_and_deletes_the_process() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = fx.run(&bundle, Io::new());
    // 256 KiB on each stream: more than a pipe holds, so one read at a time would stall.
    let script = "head -c 262144 /dev/zero; head -c 262144 /dev/zero >&2; exit 4";
    let out = c.output(&sh(script)).unwrap();
    assert_eq!((out.stdout.len(), out.stderr.len()), (262144, 262144));
    assert!(out.status == 4 && !out.status.success());
    let status = std::process::ExitStatus::from(out.status);
    assert_eq!((status.code(), status.signal()), (Some(4), None));
    assert_eq!(i32::from(out.status), 4);
}

#[test]
fn status_inherits_this_programs_streams() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = fx.run(&bundle, Io::new());
    assert_eq!(c.status(&sh("exit 7")).unwrap(), 7);
    assert_eq!(c.status(&sh("true")).unwrap(), 0);
}

#[test]
fn exec_makes_ids_and_the_guard_frees_a_named_one() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = fx.run(&bundle, Io::new());
    let a = c.exec(&sh("exit 1"), Io::new()).unwrap().delete_on_drop();
    let b = c.exec(&sh("exit 2"), Io::new()).unwrap().delete_on_drop();
    assert!(a.id().starts_with("exec-") && b.id().starts_with("exec-") && a.id() != b.id());
    assert!(a.wait(Some(PATIENCE)).unwrap() == 1 && b.wait(Some(PATIENCE)).unwrap() == 2);

    for n in 0..3 {
        let p = c
            .exec_with_id("job", &sh(&format!("exit {n}")), Io::new())
            .unwrap();
        let p = p.delete_on_drop();
        assert_eq!(p.wait(Some(PATIENCE)).unwrap(), n);
    }
    let running = c.exec_with_id("job", &ProcessSpec::new(["sleep", "1000"]), Io::new());
    drop(running.unwrap().delete_on_drop()); // killed, then deleted
    assert_eq!(
        c.load_process("job").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let kept = c.exec_with_id("kept", &sh("true"), Io::new()).unwrap();
    kept.wait(Some(PATIENCE)).unwrap();
    let kept = kept.delete_on_drop().into_inner();
    assert_eq!(c.load_process("kept").unwrap().id(), kept.id());
}

#[test]
fn try_wait_and_kill_as_child_has_them() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&[
        "sh",
        "-c",
        "trap 'exit 5' TERM; while :; do sleep 0.05; done",
    ]);
    let c = fx.run(&bundle, Io::new());
    assert_eq!(c.try_wait().unwrap(), None);
    c.kill().unwrap(); // SIGKILL: the trap does not run
    let exit = c.wait(Some(PATIENCE)).unwrap();
    assert_eq!((exit.status, exit.signal), (137, Some(9)));
    assert_eq!(c.try_wait().unwrap(), Some(exit));
    c.kill().unwrap(); // exited: Ok, as Child::kill
    assert_eq!(
        c.signal(9, false).unwrap_err().kind(),
        ErrorKind::InvalidState
    );

    let sleeper = Bundle::new(&["sleep", "1000"]);
    let c = fx.run(&sleeper, Io::new());
    let p = c
        .exec(&ProcessSpec::new(["sleep", "1000"]), Io::new())
        .unwrap()
        .delete_on_drop();
    assert_eq!(p.try_wait().unwrap(), None);
    p.kill().unwrap();
    assert_eq!(p.wait(Some(PATIENCE)).unwrap().signal, Some(9));
    p.kill().unwrap();
}

#[test]
fn stderr_merged_into_stdout() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = fx.run(&bundle, Io::new());
    let io = Io::new().stdout(Stdio::Pipe).stderr(Stdio::Stdout);
    let p = c
        .exec(&sh("echo out; echo err >&2; echo out2"), io)
        .unwrap()
        .delete_on_drop();
    let mut text = String::new();
    p.take_stdout().unwrap().read_to_string(&mut text).unwrap();
    assert_eq!(text, "out\nerr\nout2\n");
    assert_eq!(p.take_stdout().unwrap_err().kind(), ErrorKind::InvalidState);
    assert_eq!(
        p.take_stderr().unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(p.wait(Some(PATIENCE)).unwrap(), 0);

    let script = Bundle::new(&["sh", "-c", "echo one; echo two >&2"]);
    let io = Io::new().stdout(Stdio::Pipe).stderr(Stdio::Stdout);
    let c = fx.run(&script, io);
    let out = c.wait_with_output().unwrap();
    assert_eq!(
        (out.stdout, out.stderr, out.status.success()),
        (b"one\ntwo\n".to_vec(), vec![], true)
    );
}

#[test]
fn errors_convert_to_io_errors() {
    let fx = Fixture::new();
    fn load(fx: &Fixture) -> std::io::Result<()> {
        fx.runtime.load("no-such-container")?;
        Ok(())
    }
    let e = load(&fx).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    let inner = e
        .get_ref()
        .and_then(|e| e.downcast_ref::<execution::Error>())
        .unwrap();
    assert_eq!(inner.kind(), ErrorKind::NotFound);
}
