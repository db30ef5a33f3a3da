use execution::{Io, ProcessSpec, Runtime, RuntimeOptions, Stdio};
use std::io::Read;

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
    let p = c.exec(
        "probe",
        &ProcessSpec::new(["uname", "-a"]),
        Io::new().stdout(Stdio::Pipe),
    )?;
    let mut out = String::new();
    p.take_stdout()?.read_to_string(&mut out)?;
    println!("{} -> {}", out.trim(), p.wait(None)?);
    c.kill(9, false)?;
    println!("container: {}", c.wait(None)?);
    c.delete(false)?;
    Ok(())
}
