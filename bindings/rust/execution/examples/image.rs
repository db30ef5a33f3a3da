//! Run an OCI image from disk: image IMAGE [CACHE_DIR]
//!
//! IMAGE is an OCI layout dir or a `docker save` archive, with an optional
//! :TAG (e.g. build/images/busybox:latest after `make images`). As root.

use execution::{
    bundle_from_image, bundle_remove, ImageOptions, Io, Runtime, RuntimeOptions, Stdio,
};
use std::io::Read;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let image = args.next().ok_or("usage: image IMAGE [CACHE_DIR]")?;
    let mut opts = ImageOptions::new();
    if let Some(cache) = args.next() {
        opts = opts.cache_dir(cache);
    }
    let work = std::env::temp_dir().join(format!("image-example-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let bundle = work.join("bundle");
    bundle_from_image(&bundle, &image, &opts)?;
    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        let runtime = Runtime::new(RuntimeOptions::new(work.join("state")))?;
        let id = format!("image-rs-{}", std::process::id());
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
