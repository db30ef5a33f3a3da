//! Processes exec'd into running containers.

mod common;

use std::fs::File;
use std::io::Write;
use std::time::Duration;

use common::{agent_on, exit_parts, read_all, Bundle, Fixture, PATIENCE};
use execution::{Container, ErrorKind, Io, ProcessSpec, Stdio};

fn sleeping(fx: &Fixture, bundle: &Bundle) -> Container {
    fx.runtime.run(&fx.id(), bundle.path(), Io::new()).unwrap()
}

#[test]
fn exec_with_env_cwd_and_user() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = sleeping(&fx, &bundle);

    let spec = ProcessSpec::new([
        "/bin/sh",
        "-c",
        "echo \"$GREETING\"; pwd; id -u; id -g; echo err >&2; exit 6",
    ])
    .env("PATH", "/bin")
    .env("GREETING", "hello \"quoted\" \\ world")
    .cwd("/tmp")
    .user(65534, 65534);
    let p = c
        .exec_with_id(
            "probe",
            &spec,
            Io::new().stdout(Stdio::Pipe).stderr(Stdio::Pipe),
        )
        .unwrap();
    assert_eq!(p.id(), "probe");
    assert!(p.pid().unwrap() > 0);
    let stdout = p.take_stdout().unwrap();
    let stderr = p.take_stderr().unwrap();
    assert_eq!(
        read_all(stdout),
        "hello \"quoted\" \\ world\n/tmp\n65534\n65534\n"
    );
    assert_eq!(read_all(stderr), "err\n");
    assert_eq!(
        exit_parts(&p.wait(Some(PATIENCE)).unwrap()),
        (6, Some(6), None, false, false)
    );

    p.delete().unwrap();
    assert_eq!(
        c.load_process("probe").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    c.delete(true).unwrap();
}

#[test]
fn exec_environment_inherited_set_or_empty() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = sleeping(&fx, &bundle);
    let env_of = |id: &str, spec: ProcessSpec| {
        let p = c
            .exec_with_id(id, &spec, Io::new().stdout(Stdio::Pipe))
            .unwrap();
        let out = read_all(p.take_stdout().unwrap());
        p.wait(Some(PATIENCE)).unwrap();
        out
    };
    // No env: the container's own, from its config.
    let inherited = env_of("inherited", ProcessSpec::new(["/bin/env"]));
    assert!(inherited.contains("TERM=xterm"), "{inherited}");
    // Set: exactly these (runc adds HOME when it is missing).
    let set = env_of("set", ProcessSpec::new(["/bin/env"]).env("ONLY", "this"));
    assert!(set.contains("ONLY=this") && !set.contains("TERM="), "{set}");
    let empty = env_of(
        "empty",
        ProcessSpec::new(["/bin/env"])
            .env("DROPPED", "x")
            .env_clear(),
    );
    assert!(
        !empty.contains("TERM=") && !empty.contains("DROPPED"),
        "{empty}"
    );
    c.delete(true).unwrap();
}

#[test]
fn exec_stdin_pipe() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = sleeping(&fx, &bundle);
    let p = c
        .exec_with_id("cat", &ProcessSpec::new(["/bin/cat"]), Io::piped())
        .unwrap();
    let mut stdin = p.take_stdin().unwrap();
    stdin.write_all("über\tcat\n".as_bytes()).unwrap();
    drop(stdin);
    assert_eq!(read_all(p.take_stdout().unwrap()), "über\tcat\n");
    assert!(p.wait(Some(PATIENCE)).unwrap().success());
    assert_eq!(p.take_stdout().unwrap_err().kind(), ErrorKind::InvalidState);
    c.delete(true).unwrap();
}

#[test]
fn signal_an_exec_process() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = sleeping(&fx, &bundle);
    let p = c
        .exec_with_id(
            "sleeper",
            &ProcessSpec::new(["/bin/sleep", "1000"]),
            Io::new(),
        )
        .unwrap();
    assert_eq!(
        p.wait(Some(Duration::from_millis(100))).unwrap_err().kind(),
        ErrorKind::TimedOut
    );
    assert_eq!(
        p.delete().unwrap_err().kind(),
        ErrorKind::InvalidState,
        "delete of a running process"
    );
    p.signal(15).unwrap();
    let exit = p.wait(Some(PATIENCE)).unwrap();
    assert_eq!(exit_parts(&exit), (143, None, Some(15), false, false));
    assert_eq!(
        p.signal(15).unwrap_err().kind(),
        ErrorKind::InvalidState,
        "signal to an exited process"
    );
    p.delete().unwrap();
    assert_eq!(
        c.state().unwrap(),
        execution::State::Running,
        "the container outlives its exec"
    );
    c.delete(true).unwrap();
}

#[test]
fn exit_codes_and_signals_of_exec_processes() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = sleeping(&fx, &bundle);
    for (n, (script, status, code, signal)) in [
        ("exit 0", 0, Some(0), None),
        ("exit 3", 3, Some(3), None),
        ("exit 255", 255, Some(255), None),
        ("kill -KILL $$", 137, None, Some(9)),
        ("kill -ABRT $$", 134, None, Some(6)),
    ]
    .into_iter()
    .enumerate()
    {
        let p = c
            .exec_with_id(
                &format!("p{n}"),
                &ProcessSpec::new(["/bin/sh", "-c", script]),
                Io::new(),
            )
            .unwrap();
        let exit = p.wait(Some(PATIENCE)).unwrap();
        assert_eq!(
            (exit.status, exit.code, exit.signal),
            (status, code, signal),
            "{script}"
        );
        p.delete().unwrap();
    }
    c.delete(true).unwrap();
}

#[test]
fn load_an_exec_process() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = sleeping(&fx, &bundle);
    let p = c
        .exec_with_id(
            "short",
            &ProcessSpec::new(["/bin/sh", "-c", "exit 9"]),
            Io::new(),
        )
        .unwrap();
    let pid = p.pid().unwrap();

    let other = fx.runtime.load(c.id()).unwrap();
    let q = other.load_process("short").unwrap();
    assert_eq!(q.id(), "short");
    assert_eq!(q.pid().unwrap(), pid);
    assert_eq!(q.wait(Some(PATIENCE)).unwrap().code, Some(9));
    assert_eq!(p.wait(Some(PATIENCE)).unwrap().code, Some(9));
    drop(q);
    p.delete().unwrap();
    assert_eq!(p.delete().unwrap_err().kind(), ErrorKind::NotFound);
    c.delete(true).unwrap();
}

#[test]
fn exec_in_a_terminal() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = sleeping(&fx, &bundle);
    let spec = ProcessSpec::new(["/bin/sh", "-c", "sleep 1; stty size"]).terminal(true);
    let p = c.exec_with_id("tty", &spec, Io::terminal()).unwrap();
    let master = File::from(p.take_terminal().unwrap());
    p.resize(12, 34).unwrap();
    let output = read_all(master);
    assert!(
        output.contains("12 34"),
        "stty size saw another window size: {output:?}"
    );
    assert!(p.wait(Some(PATIENCE)).unwrap().success());
    c.delete(true).unwrap();
}

#[test]
fn exec_errors() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = sleeping(&fx, &bundle);
    let sleep = ProcessSpec::new(["/bin/sleep", "1000"]);

    let p = c.exec_with_id("dup", &sleep, Io::new()).unwrap();
    assert_eq!(
        c.exec_with_id("dup", &sleep, Io::new()).unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        p.resize(24, 80).unwrap_err().kind(),
        ErrorKind::InvalidArgument,
        "resize without a pty"
    );
    assert_eq!(
        p.take_stdout().unwrap_err().kind(),
        ErrorKind::InvalidArgument,
        "stdout is no pipe"
    );
    assert_eq!(
        p.signal(0x7fff).unwrap_err().kind(),
        ErrorKind::InvalidArgument,
        "bad signal"
    );
    p.signal(9).unwrap();

    let none: [&str; 0] = [];
    assert_eq!(
        c.exec_with_id("noargs", &ProcessSpec::new(none), Io::new())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        c.exec_with_id("bad/id", &sleep, Io::new())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        c.load_process("never-made").unwrap_err().kind(),
        ErrorKind::NotFound
    );

    c.kill().unwrap();
    c.wait(Some(PATIENCE)).unwrap();
    assert_eq!(
        c.exec_with_id("late", &sleep, Io::new())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidState
    );
    c.delete(false).unwrap();
}

/// Counts the container's exec agents (processes run as /proc/self/fd/3);
/// with KILL set, kills them.
const AGENTS: &str = "n=0; for p in /proc/[0-9]*; do \
    if [ \"$(tr -d '\\0' < $p/cmdline 2>/dev/null)\" = /proc/self/fd/3 ]; then \
    n=$((n+1)); [ -z \"$KILL\" ] || kill -9 ${p#/proc/}; fi; done; echo $n";

/// What spec's process printed, once it exited with 0 and was deleted.
fn output(c: &Container, id: &str, spec: &ProcessSpec) -> String {
    let p = c
        .exec_with_id(id, spec, Io::new().stdout(Stdio::Pipe))
        .unwrap();
    let out = read_all(p.take_stdout().unwrap());
    assert!(p.wait(Some(PATIENCE)).unwrap().success(), "{id}: {out:?}");
    p.delete().unwrap();
    out
}

fn agents_expected() -> &'static str {
    if agent_on() {
        "1\n"
    } else {
        "0\n"
    }
}

#[test]
fn an_exec_leaves_the_agent_for_the_next() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = sleeping(&fx, &bundle);
    output(&c, "first", &ProcessSpec::new(["true"]));
    let count = ProcessSpec::new(["sh", "-c", AGENTS]);
    assert_eq!(output(&c, "count", &count), agents_expected());
    c.delete(true).unwrap();
}

#[test]
fn an_agent_killed_inside_is_replaced() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sleep", "1000"]);
    let c = sleeping(&fx, &bundle);
    output(&c, "first", &ProcessSpec::new(["true"]));
    let kill = ProcessSpec::new(["sh", "-c", AGENTS])
        .env("PATH", "/bin")
        .env("KILL", "1");
    assert_eq!(output(&c, "killer", &kill), agents_expected());
    for i in 0..2 {
        let echo = ProcessSpec::new(["echo", "again"]);
        assert_eq!(output(&c, &format!("again{i}"), &echo), "again\n");
    }
    let count = ProcessSpec::new(["sh", "-c", AGENTS]);
    assert_eq!(output(&c, "count", &count), agents_expected());
    c.delete(true).unwrap();
}
