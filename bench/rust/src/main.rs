//! The benchmark's Rust driver: lifecycles and trivial calls through the
//! `execution` crate, timed inside this process.
//!
//! It answers the benchmark driver's requests, one a line on stdin:
//!
//! ```text
//! csd <id> <bundle>     create, start, wait, delete: "ok <ns> <cpu> <children cpu>"
//! rwd <id> <bundle>     run, wait, delete: "ok <ns> <cpu> <children cpu>"
//! version <n>           n calls of execution::version(): "ok <ns per call>"
//! hold <id> <bundle>    run a container for the pid calls: "ok 0"
//! pid <n>               n calls of Container::pid() on it: "ok <ns per call>"
//! release               delete that container: "ok 0"
//! quit
//! ```
//!
//! with the CPU ms this process and its children spent on the lifecycle. A
//! failed request answers "err <message>".
//!
//! ```text
//! execution-bench --serve --root DIR [--runtime PATH]
//! ```

use std::error::Error;
use std::ffi::c_int;
use std::hint::black_box;
use std::io::{self, BufRead, Write};
use std::process::ExitCode;
use std::time::Instant;

use execution::{Container, Io, Runtime, RuntimeOptions};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// `struct rusage` of Linux on 64-bit targets: two timevals, then 14 longs.
#[repr(C)]
struct Rusage {
    utime: [i64; 2],
    stime: [i64; 2],
    rest: [i64; 14],
}

extern "C" {
    fn getrusage(who: c_int, usage: *mut Rusage) -> c_int;
}

const RUSAGE_SELF: c_int = 0;
const RUSAGE_CHILDREN: c_int = -1;

/// CPU ms (user + system) of `who`.
fn cpu_ms(who: c_int) -> f64 {
    let mut ru = Rusage { utime: [0; 2], stime: [0; 2], rest: [0; 14] };
    if unsafe { getrusage(who, &mut ru) } != 0 {
        return 0.0;
    }
    let us = |tv: [i64; 2]| tv[0] as f64 * 1e6 + tv[1] as f64;
    (us(ru.utime) + us(ru.stime)) / 1e3
}

/// The CPU ms of this process and of its reaped children so far.
fn cpu_now() -> (f64, f64) {
    (cpu_ms(RUSAGE_SELF), cpu_ms(RUSAGE_CHILDREN))
}

/// The answer to a lifecycle: its time and the CPU it cost since `cpu0`.
fn timed(ns: u128, cpu0: (f64, f64)) -> String {
    let cpu1 = cpu_now();
    format!("{ns} {:.4} {:.4}", cpu1.0 - cpu0.0, cpu1.1 - cpu0.1)
}

/// One runtime, and the container held for the pid calls.
struct Driver {
    runtime: Runtime,
    held: Option<Container>,
}

impl Driver {
    fn csd(&self, id: &str, bundle: &str) -> Result<String> {
        let cpu0 = cpu_now();
        let t0 = Instant::now();
        let c = self.runtime.create(id, bundle, Io::new())?;
        c.start()?;
        let exit = c.wait(None)?;
        c.delete(false)?;
        drop(c);
        let ns = t0.elapsed().as_nanos();
        check_exit(id, exit.status)?;
        Ok(timed(ns, cpu0))
    }

    fn rwd(&self, id: &str, bundle: &str) -> Result<String> {
        let cpu0 = cpu_now();
        let t0 = Instant::now();
        let c = self.runtime.run(id, bundle, Io::new())?;
        let exit = c.wait(None)?;
        c.delete(false)?;
        drop(c);
        let ns = t0.elapsed().as_nanos();
        check_exit(id, exit.status)?;
        Ok(timed(ns, cpu0))
    }

    fn version(&self, n: u64) -> Result<String> {
        let t0 = Instant::now();
        for _ in 0..n {
            black_box(execution::version());
        }
        Ok(per_call(t0, n))
    }

    fn hold(&mut self, id: &str, bundle: &str) -> Result<String> {
        self.release()?;
        self.held = Some(self.runtime.run(id, bundle, Io::new())?);
        Ok("0".into())
    }

    fn pid(&self, n: u64) -> Result<String> {
        let c = self.held.as_ref().ok_or("no container held")?;
        let t0 = Instant::now();
        for _ in 0..n {
            black_box(c.pid()?);
        }
        Ok(per_call(t0, n))
    }

    fn release(&mut self) -> Result<String> {
        if let Some(c) = self.held.take() {
            c.delete(true)?;
        }
        Ok("0".into())
    }

    fn answer(&mut self, words: &[&str]) -> Result<String> {
        match words {
            ["csd", id, bundle] => self.csd(id, bundle),
            ["rwd", id, bundle] => self.rwd(id, bundle),
            ["version", n] => self.version(n.parse()?),
            ["hold", id, bundle] => self.hold(id, bundle),
            ["pid", n] => self.pid(n.parse()?),
            ["release"] => self.release(),
            _ => Err(format!("unsupported request: {}", words.join(" ")).into()),
        }
    }
}

fn check_exit(id: &str, status: i32) -> Result<()> {
    if status != 0 {
        return Err(format!("container {id} exited with {status}").into());
    }
    Ok(())
}

fn per_call(t0: Instant, n: u64) -> String {
    (t0.elapsed().as_nanos() as f64 / n.max(1) as f64).to_string()
}

fn serve(driver: &mut Driver) -> Result<()> {
    let stdout = io::stdout();
    for line in io::stdin().lock().lines() {
        let line = line?;
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.first() {
            None => continue,
            Some(&"quit") => break,
            Some(_) => {}
        }
        let reply = match driver.answer(&words) {
            Ok(v) => format!("ok {v}"),
            Err(e) => format!("err {}", e.to_string().replace('\n', " ")),
        };
        let mut out = stdout.lock();
        writeln!(out, "{reply}")?;
        out.flush()?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut root = None;
    let mut runtime = None;
    let mut served = false;
    let mut bad = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--serve" => served = true,
            "--root" => root = it.next().cloned(),
            "--runtime" => runtime = it.next().cloned(),
            _ => bad = true,
        }
    }
    let (Some(root), true, false) = (root, served, bad) else {
        eprintln!("usage: execution-bench --serve --root DIR [--runtime PATH]");
        return ExitCode::from(2);
    };
    let mut options = RuntimeOptions::new(root);
    if let Some(path) = runtime {
        options = options.runtime_path(path);
    }
    let mut driver = match Runtime::new(options) {
        Ok(runtime) => Driver { runtime, held: None },
        Err(e) => {
            eprintln!("execution-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = serve(&mut driver);
    let released = driver.release();
    match result.and(released.map(|_| ())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("execution-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
