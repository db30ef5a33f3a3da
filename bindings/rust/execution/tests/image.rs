//! Bundles from OCI images: unpacked, cached, overridden, refused, removed.

mod common;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{Fixture, TempDir};
use execution::{
    bundle_from_image, bundle_remove, image_cache_prune, BundleOptions, ErrorKind, ImageOptions,
    Io, Stdio,
};

/// The test images: `EXEC_TEST_IMAGES` (`make images` writes build/images).
fn images() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        std::env::var_os("EXEC_TEST_IMAGES")
            .map(PathBuf::from)
            .expect(
                "EXEC_TEST_IMAGES must name the test images (`make images` builds build/images)",
            )
    })
}

/// Runs the bundle to its exit: its stdout and status.
fn run(bundle: &Path) -> (String, i32) {
    let fx = Fixture::new();
    let c = fx
        .runtime
        .run(&fx.id(), bundle, Io::new().stdout(Stdio::Pipe))
        .expect("run");
    let mut out = String::new();
    c.take_stdout().unwrap().read_to_string(&mut out).unwrap();
    let status = c.wait(None).unwrap().status;
    c.delete(false).unwrap();
    (out, status)
}

fn mounted_under(dir: &Path) -> bool {
    fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .contains(&format!(" {}", dir.display()))
}

#[test]
fn layout_and_archive_run_their_own_command() {
    for image in ["busybox:latest", "busybox.tar"] {
        let tmp = TempDir::new();
        let bundle = tmp.path().join("bundle");
        bundle_from_image(&bundle, images().join(image), &ImageOptions::new()).unwrap();
        assert!(!bundle.join("rootfs/etc/victim").exists());
        assert_eq!(
            run(&bundle),
            ("hello from the second layer\n".to_owned(), 0)
        );
        bundle_remove(&bundle).unwrap();
        assert!(!bundle.exists());
    }
}

#[test]
fn cached_bundles_share_layers_and_unmount() {
    let tmp = TempDir::new();
    let opts = ImageOptions::new()
        .args([
            "sh",
            "-c",
            "id -u; pwd; echo $GREETING $EXTRA; touch /tmp/mine; ls /tmp",
        ])
        .env("EXTRA", "extra")
        .cache_dir(tmp.path().join("cache"));
    let bundles = [tmp.path().join("b0"), tmp.path().join("b1")];
    for b in &bundles {
        bundle_from_image(b, images().join("busybox.tar"), &opts).unwrap();
    }
    for b in &bundles {
        assert_eq!(run(b), ("65534\n/srv\nhello extra\nmine\n".to_owned(), 0));
    }
    assert_eq!(
        fs::read_dir(tmp.path().join("cache/layers"))
            .unwrap()
            .count(),
        2
    );
    assert!(mounted_under(tmp.path()));
    for b in &bundles {
        bundle_remove(b).unwrap();
    }
    assert!(!mounted_under(tmp.path()));
}

#[test]
fn malicious_layers_are_refused() {
    for kind in [
        "traversal",
        "absolute",
        "symlink",
        "symlink-layers",
        "hardlink",
        "size",
    ] {
        for cached in [false, true] {
            let tmp = TempDir::new();
            let bundle = tmp.path().join("bundle");
            let mut opts = ImageOptions::new();
            if cached {
                opts = opts.cache_dir(tmp.path().join("cache"));
            }
            let err = bundle_from_image(&bundle, images().join(format!("evil-{kind}")), &opts)
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{kind}: {err}");
            assert!(err.message().contains("entry"), "{kind}: {err}");
            assert!(!bundle.exists(), "{kind}");
            assert!(!images()
                .parent()
                .unwrap()
                .join(format!("escaped-{kind}"))
                .exists());
        }
    }
}

#[test]
fn bad_arguments_leave_nothing() {
    let tmp = TempDir::new();
    let image = images().join("busybox");
    let b = tmp.path().join("b");
    let err = bundle_from_image(
        &b,
        format!("{}:nope", image.display()),
        &ImageOptions::new(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let err = bundle_from_image(&b, &image, &ImageOptions::new().env("A\0", "1")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let err = bundle_from_image(&b, &image, &ImageOptions::new().max_bytes(u64::MAX)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(!b.exists());
    fs::write(tmp.path().join("keep"), "x").unwrap();
    let err = bundle_from_image(tmp.path(), &image, &ImageOptions::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    let err = bundle_remove(tmp.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(tmp.path().join("keep").exists());
}

#[test]
fn example_runs_an_image() {
    let cache = TempDir::new();
    let stdout = common::run_example(
        "image",
        &[images().join("busybox.tar").as_path(), cache.path()],
    );
    assert_eq!(
        stdout,
        "hello from the second layer\nexited with status 0\n"
    );
}

#[test]
fn hostile_images_are_refused() {
    for image in [
        "tampered-blob",
        "poison.tar",
        "evil-whiteout-dot",
        "evil-etc-link",
        "arm64",
    ] {
        let tmp = TempDir::new();
        let bundle = tmp.path().join("bundle");
        let cache = tmp.path().join("cache");
        let opts = ImageOptions::new().cache_dir(&cache);
        let err = bundle_from_image(&bundle, images().join(image), &opts).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{image}: {err}");
        assert!(!bundle.exists(), "{image}");
        assert_eq!(fs::read_dir(cache.join("tmp")).unwrap().count(), 0);
        assert_eq!(fs::read_dir(cache.join("refs")).unwrap().count(), 0);
    }
}

#[test]
fn unused_layers_are_pruned() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = TempDir::new();
    let cache = tmp.path().join("cache");
    let bundle = tmp.path().join("bundle");
    let opts = ImageOptions::new().cache_dir(&cache);
    bundle_from_image(&bundle, images().join("busybox"), &opts).unwrap();
    assert_eq!(
        fs::metadata(&bundle).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert_eq!(image_cache_prune(&cache).unwrap(), 0);
    bundle_remove(&bundle).unwrap();
    assert_eq!(image_cache_prune(&cache).unwrap(), 2);
    assert_eq!(fs::read_dir(cache.join("layers")).unwrap().count(), 0);
    let err = image_cache_prune(tmp.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn cmd_entrypoint_platform_and_bundle_options() {
    let image = images().join("busybox");
    for (opts, want) in [
        (ImageOptions::new().cmd(["echo cmd only"]), "cmd only\n"),
        (
            ImageOptions::new().entrypoint(["echo"]).cmd(["a", "b"]),
            "a b\n",
        ),
        (ImageOptions::new().args(["echo", "args"]), "args\n"),
    ] {
        let tmp = TempDir::new();
        let bundle = tmp.path().join("b");
        bundle_from_image(&bundle, &image, &opts).unwrap();
        assert_eq!(run(&bundle), (want.to_string(), 0));
        bundle_remove(&bundle).unwrap();
    }
    let tmp = TempDir::new();
    let bundle = tmp.path().join("b");
    let opts = ImageOptions::new()
        .args(["true"])
        .bundle(BundleOptions::new().pids_limit(64));
    bundle_from_image(&bundle, &image, &opts).unwrap();
    let config = fs::read_to_string(bundle.join("config.json")).unwrap();
    assert!(config.contains("\"limit\": 64"), "{config}");
    bundle_remove(&bundle).unwrap();
    let err = bundle_from_image(
        &bundle,
        images().join("multiarch"),
        &ImageOptions::new().platform("linux/s390x"),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let both = ImageOptions::new().args(["true"]).cmd(["true"]);
    let err = bundle_from_image(&bundle, &image, &both).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(!bundle.exists());
}

#[test]
fn bundle_in_use_is_not_removed() {
    for cached in [false, true] {
        let tmp = TempDir::new();
        let bundle = tmp.path().join("bundle");
        let mut opts = ImageOptions::new().cmd(["sleep 100"]);
        if cached {
            opts = opts.cache_dir(tmp.path().join("cache"));
        }
        bundle_from_image(&bundle, images().join("busybox"), &opts).unwrap();
        let fx = Fixture::new();
        let c = fx.runtime.run(&fx.id(), &bundle, Io::new()).expect("run");
        let err = bundle_remove(&bundle).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidState, "{err}");
        assert!(bundle.join("rootfs/bin").exists());
        c.kill().unwrap();
        c.wait(None).unwrap();
        c.delete(false).unwrap();
        bundle_remove(&bundle).unwrap();
        assert!(!bundle.exists());
    }
}

#[test]
fn unpack_progress_and_cancel() {
    let tmp = TempDir::new();
    let image = images().join("busybox:latest");
    let mut finished = std::collections::BTreeSet::new();
    execution::bundle_from_image_with_progress(
        tmp.path().join("b"),
        &image,
        &ImageOptions::new(),
        |p| {
            if p.done == p.total {
                finished.insert(p.blob.to_owned());
            }
            false
        },
    )
    .expect("bundle");
    bundle_remove(tmp.path().join("b")).unwrap();
    assert_eq!(finished.len(), 2, "{finished:?}");
    let err = execution::bundle_from_image_with_progress(
        tmp.path().join("c"),
        &image,
        &ImageOptions::new(),
        |_| true,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
    assert!(!tmp.path().join("c").exists());
}

#[test]
fn hardened_images_run_in_a_user_namespace() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    let tmp = TempDir::new();
    // root inside the user namespace must be able to search the parents
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o711)).unwrap();
    for cached in [false, true] {
        let bundle = tmp.path().join(format!("b{}", cached as u8));
        let cache = tmp.path().join("cache");
        let mut opts = ImageOptions::new()
            .args(["sh", "-c", "id -u; stat -c %u /etc/owned"])
            .bundle(BundleOptions::new().hardened(true));
        if cached {
            opts = opts.cache_dir(&cache);
        }
        bundle_from_image(&bundle, images().join("busybox"), &opts).unwrap();
        let config = fs::read_to_string(bundle.join("config.json")).unwrap();
        assert!(config.contains("\"uidMappings\""), "{config}");
        assert!(config.contains("\"noNewPrivileges\": true"), "{config}");
        assert!(
            !config.contains("run.oci.") && !config.contains("org.systemd.property"),
            "{config}"
        );
        // the host sees the image's files as the ids they map to
        let owner = fs::metadata(bundle.join("rootfs/etc/owned")).unwrap().uid();
        assert!(owner > 1234, "/etc/owned is uid {owner} on the host");
        if cached {
            // one copy of each layer, mounted idmapped: an unmapped bundle
            // of the same image adds none
            let plain = tmp.path().join("plain");
            bundle_from_image(
                &plain,
                images().join("busybox"),
                &ImageOptions::new().cache_dir(&cache),
            )
            .unwrap();
            bundle_remove(&plain).unwrap();
            assert_eq!(fs::read_dir(cache.join("layers")).unwrap().count(), 2);
        }
        assert_eq!(run(&bundle), ("65534\n1234\n".to_string(), 0));
        bundle_remove(&bundle).unwrap();
        assert!(!bundle.exists());
        assert!(!mounted_under(tmp.path()));
    }
}
