//! Workloads: the container a CI job needs, and each network mode. Traffic
//! goes only to 127.0.0.1 and to the addresses of containers the tests made.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{rootfs, Fixture, TempDir};
use execution::{Bridge, BundleOptions, ErrorKind, Io, Mount, Network, ProcessSpec, Stdio};

/// A bundle on a copy of the busybox rootfs with a user "ci" (1000:1000)
/// and /www/hello.
fn workload_bundle(args: &[&str], options: &BundleOptions) -> TempDir {
    let dir = TempDir::new();
    let root = dir.path().join("rootfs");
    let status = Command::new("cp")
        .arg("-a")
        .arg(rootfs())
        .arg(&root)
        .status()
        .unwrap();
    assert!(status.success());
    fs::create_dir_all(root.join("www")).unwrap();
    fs::write(
        root.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nci:x:1000:1000:ci:/workspace:/bin/sh\n",
    )
    .unwrap();
    fs::write(root.join("etc/group"), "root:x:0:\nci:x:1000:\n").unwrap();
    fs::write(root.join("www/hello"), "hello from the container\n").unwrap();
    execution::bundle_init_ext(dir.path(), args, options).expect("bundle_init_ext");
    dir
}

fn output_of(fx: &Fixture, bundle: &Path) -> String {
    let c = fx
        .runtime
        .run(&fx.id(), bundle, Io::new().stdout(Stdio::Pipe))
        .unwrap();
    let out = c.wait_with_output().unwrap();
    assert_eq!(out.status.status, 0, "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn ci_job() {
    let fx = Fixture::new();
    let workspace = TempDir::new();
    std::os::unix::fs::chown(workspace.path(), Some(1000), Some(1000)).unwrap();
    let opts = BundleOptions::new()
        .env("CI", "true")
        .cwd("/workspace")
        .user("ci")
        .hostname("ci-runner")
        .mount(Mount::new(workspace.path(), "/workspace"))
        .rlimit("nofile", 512, 512);
    let bundle = workload_bundle(&["sh", "-c", "echo built > artifact; sleep 1000"], &opts);
    let c = fx
        .runtime
        .run(&fx.id(), bundle.path(), Io::new())
        .unwrap()
        .delete_on_drop();
    // The exec names only its command: the rest is the container's.
    let spec = ProcessSpec::new([
        "sh",
        "-c",
        "id -u; pwd; hostname; echo $CI; ulimit -n; sleep 0.2; cat artifact",
    ]);
    let p = c.exec(&spec, Io::new().stdout(Stdio::Pipe)).unwrap();
    let out = p.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "1000\n/workspace\nci-runner\ntrue\n512\nbuilt\n"
    );
    // What the exec sets replaces the container's.
    let p = c
        .exec(
            &ProcessSpec::new(["sh", "-c", "id -u; pwd"])
                .user(0, 0)
                .cwd("/"),
            Io::new().stdout(Stdio::Pipe),
        )
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&p.wait_with_output().unwrap().stdout),
        "0\n/\n"
    );
    let meta = fs::metadata(workspace.path().join("artifact")).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (1000, 1000));
}

#[test]
fn bad_workload_writes_nothing() {
    let dir = TempDir::new();
    fs::create_dir(dir.path().join("rootfs")).unwrap();
    for opts in [
        BundleOptions::new().cwd("relative"),
        BundleOptions::new().user("nobody-here"),
        BundleOptions::new().mount(Mount::new("/nonexistent/dir", "/w")),
        BundleOptions::new().cap_add("FLY"),
        BundleOptions::new().network(Network::Path("relative".into())),
    ] {
        let err = execution::bundle_init_ext(dir.path(), &["true"], &opts).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert!(!dir.path().join("config.json").exists());
    }
}

#[test]
fn network_none_sees_only_lo() {
    let fx = Fixture::new();
    let b = workload_bundle(&["ls", "/sys/class/net"], &BundleOptions::new());
    assert_eq!(output_of(&fx, b.path()), "lo\n");
}

#[test]
fn network_host_sees_the_hosts_interfaces() {
    let fx = Fixture::new();
    let b = workload_bundle(
        &["ls", "/sys/class/net"],
        &BundleOptions::new().network(Network::Host),
    );
    let mut got: Vec<String> = output_of(&fx, b.path())
        .split_whitespace()
        .map(String::from)
        .collect();
    let mut host: Vec<String> = fs::read_dir("/sys/class/net")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    got.sort();
    host.sort();
    assert_eq!(got, host);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(addr: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&addr.parse().ok()?, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET /hello HTTP/1.0\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    Some(body)
}

#[test]
fn bridge_serves_a_mapped_port_and_reaches_another_container() {
    let fx = Fixture::new();
    let port = free_port();
    let server = workload_bundle(
        &["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"],
        &BundleOptions::new().network(Network::Bridge(Bridge::new().port(port, 8080))),
    );
    let id = fx.id();
    let c = fx.runtime.run(&id, server.path(), Io::new()).unwrap();
    let addrs = c.addresses().unwrap();
    assert_eq!(addrs.len(), 1);
    assert!(addrs[0].to_string().starts_with("10.217."));
    let mut body = None;
    for _ in 0..100 {
        body = http_get(&format!("127.0.0.1:{port}")).filter(|b| !b.is_empty());
        if body.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(body
        .unwrap_or_default()
        .ends_with("hello from the container\n"));
    let script = format!(
        "printf 'GET /hello HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 5 {} 8080",
        addrs[0]
    );
    let client = workload_bundle(
        &["sh", "-c", &script],
        &BundleOptions::new().network(Network::Bridge(Bridge::new())),
    );
    assert!(output_of(&fx, client.path()).ends_with("hello from the container\n"));
    c.delete(true).unwrap();
    let net = fx.root().join("network");
    assert!(!net.join("netns").join(&id).exists());
    assert!(!net.join("bundles").join(&id).exists());
    let rules = Command::new("iptables-save")
        .args(["-t", "nat"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&rules.stdout).contains(&id));
}

fn host_uid(pid: i32) -> u32 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

#[test]
fn two_hardened_containers_get_ranges_of_their_own() {
    let fx = Fixture::new();
    let b = common::Bundle::with_options(&["sleep", "60"], &BundleOptions::new().hardened(true));
    let one = fx
        .runtime
        .run(&fx.id(), b.path(), Io::new())
        .unwrap()
        .delete_on_drop();
    let two = fx
        .runtime
        .run(&fx.id(), b.path(), Io::new())
        .unwrap()
        .delete_on_drop();
    let uids = [host_uid(one.pid().unwrap()), host_uid(two.pid().unwrap())];
    assert!(uids.iter().all(|&u| u >= 0x7000_0000), "{uids:?}");
    assert!(uids[0].abs_diff(uids[1]) >= 65536, "{uids:?}");
}
