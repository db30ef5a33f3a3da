"""Bundles from OCI images: unpacked, cached, overridden, refused, removed."""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

import execution
from helpers import REPO

KINDS = ["traversal", "absolute", "symlink", "symlink-layers", "hardlink", "size"]


def run_to_exit(rt: execution.Runtime, cid: str, bundle: str) -> "tuple[bytes, int]":
    with rt.run(cid, bundle, stdout=execution.PIPE) as c:
        out, _ = c.communicate(timeout=20)
        return out, c.wait().status


def mounted_under(path: Path) -> bool:
    return f" {path}" in Path("/proc/self/mountinfo").read_text()


@pytest.mark.parametrize("ref", ["busybox:latest", "busybox.tar", "busybox-oci.tar"])
def test_image_runs_its_own_command(
    rt: execution.Runtime, new_id: Callable[[], str], images: str, tmp_path: Path, ref: str
) -> None:
    bundle = tmp_path / "bundle"
    execution.bundle_from_image(bundle, os.path.join(images, ref))
    assert not (bundle / "rootfs/etc/victim").exists()
    assert sorted(os.listdir(bundle / "rootfs/etc/old-dir")) == ["c"]
    st = os.stat(bundle / "rootfs/etc/owned")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (1234, 5678, 0o640)
    assert run_to_exit(rt, new_id(), str(bundle)) == (b"hello from the second layer\n", 0)
    execution.bundle_remove(bundle)
    assert not bundle.exists()


def test_cached_bundles_share_layers_and_unmount(
    rt: execution.Runtime, new_id: Callable[[], str], images: str, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    script = "id -u; pwd; echo $GREETING $EXTRA; touch /tmp/mine; ls /tmp"
    bundles = [tmp_path / "b0", tmp_path / "b1"]
    for b in bundles:
        execution.bundle_from_image(
            b, os.path.join(images, "busybox"),
            args=["sh", "-c", script], env={"EXTRA": "extra"}, cache_dir=cache,
        )
    try:
        assert len(os.listdir(cache / "layers")) == 2
        for b in bundles:
            assert run_to_exit(rt, new_id(), str(b)) == (b"65534\n/srv\nhello extra\nmine\n", 0)
        assert mounted_under(tmp_path)
    finally:
        for b in bundles:
            execution.bundle_remove(b)
    assert not mounted_under(tmp_path)
    assert len(os.listdir(cache / "layers")) == 2


@pytest.mark.parametrize("cached", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_malicious_layers_are_refused(images: str, tmp_path: Path, kind: str, cached: bool) -> None:
    bundle = tmp_path / "bundle"
    cache = tmp_path / "cache" if cached else None
    with pytest.raises(execution.InvalidArgument, match="entry"):
        execution.bundle_from_image(bundle, os.path.join(images, "evil-" + kind), cache_dir=cache)
    assert not bundle.exists()
    assert not os.path.exists(os.path.join(os.path.dirname(images), "escaped-" + kind))
    if cache is not None:
        # Only the valid layers under the refused one stay; nothing half-made.
        kept = len(os.listdir(cache / "layers")) if (cache / "layers").exists() else 0
        assert kept == (1 if kind == "symlink-layers" else 0)
        assert not (cache / "tmp").exists() or os.listdir(cache / "tmp") == []


def test_bad_arguments(images: str, tmp_path: Path) -> None:
    image = os.path.join(images, "busybox")
    with pytest.raises(execution.InvalidArgument, match="nope"):
        execution.bundle_from_image(tmp_path / "b", image + ":nope")
    with pytest.raises(execution.InvalidArgument):
        execution.bundle_from_image(tmp_path / "b", image, env={"A": "1"}, cache_dir=tmp_path / "a:b")
    with pytest.raises(TypeError):
        execution.bundle_from_image(tmp_path / "b", image, args="sh")
    with pytest.raises(TypeError):
        execution.bundle_from_image(tmp_path / "b", image, env=["A=1"])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        execution.bundle_from_image(tmp_path / "b", image, max_bytes=-1)
    assert not (tmp_path / "b").exists()
    (tmp_path / "keep").write_text("x")
    with pytest.raises(execution.AlreadyExists):
        execution.bundle_from_image(tmp_path, image)
    with pytest.raises(execution.InvalidArgument, match="not a bundle made from an image"):
        execution.bundle_remove(tmp_path)
    assert (tmp_path / "keep").exists()


def test_example_runs_an_image(images: str, tmp_path: Path) -> None:
    example = REPO / "examples" / "python" / "image.py"
    for args in ([os.path.join(images, "busybox:latest")],
                 [os.path.join(images, "busybox.tar"), str(tmp_path / "cache")]):
        done = subprocess.run([sys.executable, str(example), *args], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout == "hello from the second layer\nexited with status 0\n"


@pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed")
def test_podman_save_archive(
    rt: execution.Runtime, new_id: Callable[[], str], rootfs: str, tmp_path: Path
) -> None:
    tag = f"localhost/libexecution-test-{os.getpid()}:latest"
    tarball = tmp_path / "rootfs.tar"
    subprocess.run(["tar", "-cf", str(tarball), "-C", rootfs, "."], check=True)
    subprocess.run(["podman", "import", "--change", 'CMD ["echo", "from podman"]',
                    str(tarball), tag], check=True, capture_output=True)
    try:
        archive = tmp_path / "podman.tar"
        subprocess.run(["podman", "save", "-o", str(archive), tag], check=True, capture_output=True)
    finally:
        subprocess.run(["podman", "rmi", tag], capture_output=True)
    bundle = tmp_path / "bundle"
    execution.bundle_from_image(bundle, archive)
    try:
        assert run_to_exit(rt, new_id(), str(bundle)) == (b"from podman\n", 0)
    finally:
        execution.bundle_remove(bundle)


@pytest.mark.parametrize("cached", [False, True])
def test_debian_image_runs_bash(
    rt: execution.Runtime, new_id: Callable[[], str], images: str, tmp_path: Path, cached: bool
) -> None:
    image = os.path.join(images, "debian")
    if not os.path.isdir(image):
        pytest.skip("no debian image: the host is no merged-/usr Debian")
    bundle = tmp_path / "bundle"
    execution.bundle_from_image(bundle, image, cache_dir=tmp_path / "cache" if cached else None)
    try:
        out, status = run_to_exit(rt, new_id(), str(bundle))
    finally:
        execution.bundle_remove(bundle)
    assert status == 0
    assert out.startswith(b"bash ") and out.endswith(b"\nthrough /lib\n")


@pytest.mark.parametrize("image", ["tampered-blob", "poison.tar", "evil-whiteout-dot", "evil-etc-link", "arm64"])
def test_hostile_images_are_refused(images: str, tmp_path: Path, image: str) -> None:
    bundle = tmp_path / "bundle"
    with pytest.raises(execution.InvalidArgument):
        execution.bundle_from_image(bundle, os.path.join(images, image), cache_dir=tmp_path / "cache")
    assert not bundle.exists()
    assert os.listdir(tmp_path / "cache" / "tmp") == []
    assert os.listdir(tmp_path / "cache" / "refs") == []


def test_bundle_is_private_and_pruned(images: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    bundle = tmp_path / "bundle"
    execution.bundle_from_image(bundle, os.path.join(images, "busybox"), cache_dir=cache)
    assert os.stat(bundle).st_mode & 0o777 == 0o700
    assert os.stat(cache).st_mode & 0o777 == 0o700
    assert execution.image_cache_prune(cache) == 0
    execution.bundle_remove(bundle)
    assert execution.image_cache_prune(cache) == 2
    assert os.listdir(cache / "layers") == []
    with pytest.raises(execution.InvalidArgument):
        execution.image_cache_prune(tmp_path)
    with pytest.raises(TypeError):
        execution.image_cache_prune(None)  # type: ignore[arg-type]


def test_cmd_entrypoint_and_bundle_options(
    rt: execution.Runtime, new_id: Callable[[], str], images: str, tmp_path: Path
) -> None:
    image = os.path.join(images, "busybox")
    cases = [
        ({"cmd": ["echo cmd only"]}, b"cmd only\n"),
        ({"entrypoint": ["echo"], "cmd": ["a", "b"]}, b"a b\n"),
        ({"args": ["echo", "args"]}, b"args\n"),
    ]
    for i, (kw, want) in enumerate(cases):
        bundle = tmp_path / f"b{i}"
        execution.bundle_from_image(bundle, image, **kw)  # type: ignore[arg-type]
        assert run_to_exit(rt, new_id(), str(bundle)) == (want, 0)
        execution.bundle_remove(bundle)
    bundle = tmp_path / "limited"
    execution.bundle_from_image(bundle, image, limits=execution.Limits(pids=64), args=["true"])
    assert '"limit": 64' in (bundle / "config.json").read_text()
    execution.bundle_remove(bundle)
    with pytest.raises(ValueError):
        execution.bundle_from_image(tmp_path / "x", image, args=["true"], cmd=["true"])
    with pytest.raises(execution.InvalidArgument):
        execution.bundle_from_image(tmp_path / "x", os.path.join(images, "multiarch"), platform="linux/s390x")
    with pytest.raises(TypeError):
        execution.bundle_from_image(tmp_path / "x", image, platform=1)  # type: ignore[arg-type]
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("cached", [False, True])
def test_labels_are_no_annotations_and_hardened_images_run(
    rt: execution.Runtime, new_id: Callable[[], str], images: str, tmp_path: Path, cached: bool
) -> None:
    import json
    import tempfile

    # The bundle's parents must be searchable by root inside the user
    # namespace: a dir of its own in /tmp, not pytest's private one.
    parent = Path(tempfile.mkdtemp(prefix="exec-hardened-", dir="/tmp"))
    cache = tmp_path / "cache" if cached else None
    bundle = parent / "bundle"
    try:
        os.chmod(parent, 0o711)
        execution.bundle_from_image(
            bundle,
            os.path.join(images, "busybox"),
            cmd=["id -u; stat -c %u /etc/owned"],
            hardened=True,
            cache_dir=cache,
        )
        config = json.loads((bundle / "config.json").read_text())
        assert config["annotations"] == {"io.libexecution.image.stop-signal": "SIGUSR1"}
        assert config["linux"]["uidMappings"] and config["process"]["noNewPrivileges"]
        host_uid = config["linux"]["uidMappings"][0]["hostID"]
        assert (bundle / "rootfs" / "etc" / "owned").stat().st_uid == host_uid + 1234
        if cache is not None:
            # One copy of each layer, mounted idmapped: an unmapped bundle
            # of the same image adds none.
            plain = tmp_path / "plain"
            execution.bundle_from_image(plain, os.path.join(images, "busybox"), cache_dir=cache)
            execution.bundle_remove(plain)
            assert len(list((cache / "layers").iterdir())) == 2
        assert run_to_exit(rt, new_id(), str(bundle)) == (b"65534\n1234\n", 0)
        execution.bundle_remove(bundle)
        assert not bundle.exists()
        assert str(parent) not in Path("/proc/self/mountinfo").read_text()
    finally:
        if bundle.exists():
            execution.bundle_remove(bundle)
        shutil.rmtree(parent, ignore_errors=True)


@pytest.mark.parametrize("cached", [False, True])
def test_bundle_in_use_is_not_removed(
    rt: execution.Runtime, new_id: Callable[[], str], images: str, tmp_path: Path, cached: bool
) -> None:
    bundle = tmp_path / "bundle"
    cache = tmp_path / "cache" if cached else None
    execution.bundle_from_image(bundle, os.path.join(images, "busybox"), cmd=["sleep 100"], cache_dir=cache)
    with rt.run(new_id(), str(bundle)) as c:
        with pytest.raises(execution.InvalidState, match="a container uses it"):
            execution.bundle_remove(bundle)
        assert (bundle / "rootfs" / "bin").exists()
        c.kill()
        c.wait()
    execution.bundle_remove(bundle)
    assert not bundle.exists()


def test_unpack_progress_and_cancel(images: str, tmp_path: Path) -> None:
    finished = set()

    def progress(blob: str, done: int, total: int) -> None:
        if done == total:
            finished.add(blob)

    image = os.path.join(images, "busybox:latest")
    execution.bundle_from_image(tmp_path / "b", image, progress=progress)
    execution.bundle_remove(tmp_path / "b")
    assert len(finished) == 2
    with pytest.raises(execution.Cancelled):
        execution.bundle_from_image(tmp_path / "c", image, progress=lambda *a: True)
    assert not (tmp_path / "c").exists()
