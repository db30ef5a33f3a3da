//! Pull an image from a registry and run it: pull REF
//!
//! REF is "REGISTRY/REPO:TAG" or "REGISTRY/REPO@sha256:..." (e.g.
//! 127.0.0.1:5000/busybox:latest from a local registry). Prints a line per
//! finished blob on stderr. As root.

use execution::image::{pull, PullOptions};
use execution::{
    bundle_from_image, bundle_remove, ImageOptions, Io, Runtime, RuntimeOptions, Stdio,
};
use std::io::Read;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let reference = std::env::args().nth(1).ok_or("usage: pull REF")?;
    let work = std::env::temp_dir().join(format!("pull-example-{}", std::process::id()));
    let (layout, bundle) = (work.join("layout"), work.join("bundle"));
    let progress = PullOptions::new().parallel(3).progress(|p| {
        if p.done == p.total {
            eprintln!("{}: {} bytes", &p.blob[..19.min(p.blob.len())], p.total);
        }
        false // true would cancel the pull
    });
    pull(&reference, &layout, progress)?;
    bundle_from_image(
        &bundle,
        format!("{}:{reference}", layout.display()),
        &ImageOptions::new(),
    )?;
    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        let runtime = Runtime::new(RuntimeOptions::new(work.join("state")))?;
        let id = format!("pull-rs-{}", std::process::id());
        let c = runtime.run(&id, &bundle, Io::new().stdout(Stdio::Pipe))?;
        let mut out = String::new();
        c.take_stdout()?.read_to_string(&mut out)?;
        print!("{out}");
        println!("exited with status {}", c.wait(None)?.status);
        c.delete(false)?;
        Ok(())
    })();
    bundle_remove(&bundle)?;
    std::fs::remove_dir_all(&work)?;
    result
}
