//! Io::pass_fd: fds of this program a container or exec'd process gets as
//! 3, 4, ..., and nothing else of the host.

mod common;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::fd::{AsFd, FromRawFd, IntoRawFd};

use common::{bundle_on, pipe, probe_rootfs, read_all, Bundle, Fixture, PATIENCE};
use execution::{BundleOptions, Io, ProcessSpec, Stdio};

#[test]
fn a_pipe_end_is_fd_3_and_stays_ours() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sh", "-c", "echo through-fd-3 >&3"]);
    let (reader, writer) = pipe();
    let c = fx
        .runtime
        .create(&fx.id(), bundle.path(), Io::new().pass_fd(&writer))
        .unwrap();
    writer.metadata().expect("the caller's fd stays open");
    drop(writer);
    c.start().unwrap();
    assert_eq!(read_all(reader), "through-fd-3\n");
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(0));
    c.delete(false).unwrap();
}

#[test]
fn two_fds_in_the_order_given() {
    let fx = Fixture::new();
    let bundle = Bundle::new(&["sh", "-c", "echo three >&3; echo four >&4"]);
    let (ra, wa) = pipe();
    let (rb, wb) = pipe();
    let c = fx.run(&bundle, Io::new().pass_fds([wb.as_fd(), wa.as_fd()]));
    drop((wa, wb));
    assert_eq!(read_all(rb), "three\n");
    assert_eq!(read_all(ra), "four\n");
    assert_eq!(c.wait(Some(PATIENCE)).unwrap().code, Some(0));
}

#[test]
fn exec_gets_its_own_and_nothing_else_of_the_host() {
    let fx = Fixture::new();
    // Left open without O_CLOEXEC: it must reach neither process.
    let leaky = File::open("/dev/null").unwrap().into_raw_fd();
    let script = ["sh", "-c", "probe fds >&3; sleep 60"];
    let bundle = bundle_on(&probe_rootfs(), &script, &BundleOptions::new());
    let (init_r, init_w) = pipe();
    let io = Io::new().pass_fd(&init_w);
    let c = fx.runtime.run(&fx.id(), bundle.path(), io).unwrap();
    let c = c.delete_on_drop();
    drop(init_w);
    let mut line = String::new();
    BufReader::new(init_r).read_line(&mut line).unwrap();
    assert_eq!(line, "fds=0 1 2 3 \n");

    let (exec_r, exec_w) = pipe();
    let spec = ProcessSpec::new(["sh", "-c", "probe fds >&3"]);
    let io = Io::new().stdout(Stdio::Pipe).pass_fd(&exec_w);
    let p = c.exec(&spec, io).unwrap().delete_on_drop();
    drop(exec_w);
    assert_eq!(read_all(exec_r), "fds=0 1 2 3 \n");
    assert_eq!(p.wait(Some(PATIENCE)).unwrap().code, Some(0));
    drop(unsafe { File::from_raw_fd(leaky) });
    c.kill().unwrap();
}
