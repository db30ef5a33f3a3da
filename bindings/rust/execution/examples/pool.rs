use std::io::Read;
use std::time::Duration;

use execution::{bundle_init, Io, PoolOptions, Runtime, RuntimeOptions, Stdio};

// usage: pool ROOTFS [ROOT]; ROOTFS a busybox root file system (`make
// bundle` builds build/bundle/rootfs). Keeps two containers of one bundle
// created ahead, takes three one after another (each take only starts one;
// the pool refills behind them), prints what each says through its stdout
// pipe and how it exited, and drops the pool, which deletes the containers
// it still holds.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rootfs = std::fs::canonicalize(args.next().ok_or("usage: pool ROOTFS [ROOT]")?)?;
    let root = args
        .next()
        .unwrap_or_else(|| "/tmp/libexecution-pool-rs".into());
    let bundle = std::env::temp_dir().join(format!("pool-bundle-{}", std::process::id()));
    std::fs::create_dir(&bundle)?;
    std::os::unix::fs::symlink(&rootfs, bundle.join("rootfs"))?;
    bundle_init(
        &bundle,
        &["sh", "-c", "echo hello from a warm pool; exit 3"],
        false,
    )?;

    let runtime = Runtime::new(RuntimeOptions::new(root))?;
    let pool = runtime.pool(
        PoolOptions::new(&bundle)
            .size(2)
            .io(Io::new().stdout(Stdio::Pipe))
            .id_prefix("pool-rs-"),
    )?;
    // Serve once the pool is warm: from here on a take is a start.
    pool.fill(Some(Duration::from_secs(30)))?;
    println!("pool of 2 ready");
    for _ in 0..3 {
        let c = pool.take(Some(Duration::from_secs(30)))?.delete_on_drop();
        let mut out = String::new();
        c.take_stdout()?.read_to_string(&mut out)?;
        println!("{}: says {:?}", c.id(), out.trim());
        println!("{}: exited with status {}", c.id(), c.wait(None)?.status);
    }
    drop(pool);
    println!("pool dropped");
    std::fs::remove_dir_all(&bundle)?;
    Ok(())
}
