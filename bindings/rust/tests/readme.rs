//! The top-level README's Rust example is examples/rust/hello.rs, word for
//! word, and it runs as the README says.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{rootfs, TempDir};

#[test]
fn readme_example_is_hello_rs_and_runs() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = fs::read_to_string(repo.join("README.md")).expect("read README.md");
    let hello = fs::read_to_string(repo.join("examples/rust/hello.rs")).expect("read hello.rs");
    let block = readme
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a ```rust block in README.md");
    assert_eq!(
        block, hello,
        "README.md's Rust example differs from examples/rust/hello.rs"
    );

    let bundle = TempDir::new();
    std::os::unix::fs::symlink(rootfs(), bundle.path().join("rootfs")).expect("link rootfs");
    execution::bundle_init(bundle.path(), &["sleep", "60"], false).expect("bundle_init");
    let root = TempDir::new();
    let out = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--example", "hello", "--"])
        .arg(bundle.path())
        .arg(root.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "hello failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Linux "), "no uname output:\n{stdout}");
    assert!(
        stdout.contains("container: "),
        "no container exit:\n{stdout}"
    );
}
