use execution::{Io, ProcessSpec, Runtime, RuntimeOptions};

// usage: hello BUNDLE [ROOT]; BUNDLE holds rootfs/ and a config.json whose
// process keeps running (e.g. from execution::bundle_init(dir, &["sleep", "60"], false)).
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bundle = args.next().ok_or("usage: hello BUNDLE [ROOT]")?;
    let root = args
        .next()
        .unwrap_or_else(|| "/tmp/libexecution-hello".into());
    let runtime = Runtime::new(RuntimeOptions::new(root))?;
    let c = runtime.run(&format!("hello-{}", std::process::id()), bundle, Io::new())?;
    // As Command::output: both streams read, the exit, the process deleted.
    let out = c.output(&ProcessSpec::new(["uname", "-a"]))?;
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{} -> {}", text.trim(), out.status);
    c.kill()?; // SIGKILL, as Child::kill
    println!("container: {}", c.wait(None)?);
    c.delete(false)?;
    Ok(())
}
