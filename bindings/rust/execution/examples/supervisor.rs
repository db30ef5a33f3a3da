use std::collections::HashMap;
use std::time::Duration;

use execution::{bundle_init, EventKind, Io, Runtime, RuntimeOptions};

// usage: supervisor ROOTFS [ROOT]; ROOTFS a busybox root file system (`make
// bundle` builds build/bundle/rootfs). Runs three containers that each exit
// 3, prints every event of the root, deletes each container once its init
// exited, and ends once all three are deleted. The stream's fd (AsFd) can go
// into poll or epoll instead; with the `tokio` feature, Events::stream() and
// Container::wait_async() do the same on tokio.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rootfs = std::fs::canonicalize(args.next().ok_or("usage: supervisor ROOTFS [ROOT]")?)?;
    let root = args
        .next()
        .unwrap_or_else(|| "/tmp/libexecution-supervisor-rs".into());
    let bundle = std::env::temp_dir().join(format!("supervisor-bundle-{}", std::process::id()));
    std::fs::create_dir(&bundle)?;
    std::os::unix::fs::symlink(&rootfs, bundle.join("rootfs"))?;
    bundle_init(&bundle, &["sh", "-c", "sleep 0.2; exit 3"], false)?;

    let runtime = Runtime::new(RuntimeOptions::new(root))?;
    // Open the stream first: it sees what happens from then on.
    let events = runtime.events(0)?;
    let mut containers = HashMap::new();
    for i in 0..3 {
        let id = format!("supervised-rs-{}-{i}", std::process::id());
        containers.insert(id.clone(), runtime.run(&id, &bundle, Io::new())?);
    }
    while !containers.is_empty() {
        let ev = events.next(Some(Duration::from_secs(30)))?;
        match (ev.kind, ev.exit) {
            (EventKind::Exited, Some(exit)) => {
                println!("{}: exited with status {}", ev.container_id, exit.status);
                containers[&ev.container_id].delete(false)?;
            }
            (EventKind::Deleted, _) => {
                println!("{}: deleted", ev.container_id);
                containers.remove(&ev.container_id);
            }
            (kind, _) => println!("{}: {kind:?}", ev.container_id),
        }
    }
    std::fs::remove_dir_all(&bundle)?;
    Ok(())
}
