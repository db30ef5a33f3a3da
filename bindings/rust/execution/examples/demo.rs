//! libexecution in one page, in Rust: run a busybox container, read its
//! output, exec a second process into it, stop it, and clean up.
//!
//!     usage: cargo run --example demo -- BUNDLE [ROOT]
//!
//! BUNDLE is a directory holding `rootfs/`, a busybox root file system
//! (`scripts/make-bundle.sh BUNDLE` makes one). When it has no config.json
//! the demo writes one with `execution::bundle_init`, running a shell that
//! says hello and then sleeps. ROOT is the library's state dir; default
//! /tmp/libexecution-demo. Run it as root (containers need it).

use std::error::Error;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use execution::{Container, Io, ProcessSpec, Runtime, RuntimeOptions, Stdio};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let Some(bundle) = args.next() else {
        eprintln!("usage: demo BUNDLE [ROOT]");
        return ExitCode::from(2);
    };
    let root = args
        .next()
        .unwrap_or_else(|| PathBuf::from("/tmp/libexecution-demo"));
    match demo(&bundle, &root) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn demo(bundle: &Path, root: &Path) -> Result<(), Box<dyn Error>> {
    // 1. A runtime: the library's state dir, and runc from PATH.
    let runtime = Runtime::new(RuntimeOptions::new(root))?;

    // 2. A bundle: rootfs/ plus config.json, written here if missing.
    if !bundle.join("config.json").exists() {
        let greeter = ["sh", "-c", "echo hello from busybox; exec sleep 60"];
        execution::bundle_init(bundle, &greeter, false)?;
        println!("wrote {}", bundle.join("config.json").display());
    }

    // 3. Run the container with its stdout in a pipe. Ids are host-wide.
    //    The guard force-deletes it should anything below fail.
    let id = format!("demo-rs-{}", std::process::id());
    let container = runtime
        .run(&id, bundle, Io::new().stdout(Stdio::Pipe))?
        .delete_on_drop();
    println!("container {} is running", container.id());

    // 4. Read its first line.
    let mut line = String::new();
    BufReader::new(container.take_stdout()?).read_line(&mut line)?;
    print!("container says: {line}");

    // 5. Run a second process inside it.
    exec_uname(&container)?;

    // 6. Stop it: kill() is SIGKILL, which its pid 1 cannot ignore.
    container.kill()?;
    let exit = container.wait(Some(Duration::from_secs(10)))?;
    match exit.signal {
        Some(signal) => println!(
            "container exited: status {} (killed by signal {signal})",
            exit.status
        ),
        None => println!("container exited: status {}", exit.status),
    }

    // 7. Delete it: the runtime's state and the library's go away. Dropping
    //    a handle only frees it; it never kills or deletes anything.
    container.into_inner().delete(false)?;
    println!("container deleted");
    Ok(())
}

/// Execs `uname -a` into the running container and prints what it says.
fn exec_uname(container: &Container) -> Result<(), Box<dyn Error>> {
    let spec = ProcessSpec::new(["uname", "-a"]).env("PATH", "/bin");
    let process = container
        .exec(&spec, Io::new().stdout(Stdio::Pipe))?
        .delete_on_drop();
    for line in BufReader::new(process.take_stdout()?).lines() {
        println!("uname -a says: {}", line?);
    }
    let exit = process.wait(None)?;
    println!("uname exited with status {}", exit.status);
    // An exited process's state stays until deleted, like a container's.
    process.delete()?;
    Ok(())
}
