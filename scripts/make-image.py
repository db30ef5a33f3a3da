#!/usr/bin/env python3
"""make-image.py - write the test images the image tests unpack.

    make-image.py ROOTFS OUTDIR

writes into OUTDIR, from the busybox rootfs ROOTFS (`make bundle`):

  busybox/         an OCI image layout, tag "latest": two gzip layers. The
                   first is the rootfs plus files the second one changes; the
                   second deletes /etc/victim (a whiteout), empties
                   /etc/old-dir (an opaque dir) and puts c there, replaces
                   /etc/motd, and adds a hard link, a symlink, a file owned
                   by 1234:5678 with mode 0640 and a user xattr, a FIFO,
                   and /srv/through written through the first layer's
                   symlink /srv-link.
                   Config: entrypoint ["sh", "-c"], cmd ["cat /etc/motd"],
                   env GREETING=hello and JUSTNAME (no '=': skipped),
                   working dir /srv, user nobody, labels runtimes act on
                   (run.oci.*, org.systemd.property.*), stop signal SIGUSR1.
  busybox.tar      the same image as `docker save` writes it.
  busybox-oci.tar  the same layout as an OCI archive (`skopeo copy
                   ... oci-archive:` writes one).
  debian/          where the host is a merged-/usr Debian (its bash and the
                   libraries bash links to): an OCI layout, tag "latest",
                   of two layers. The first holds /bin, /lib and /lib64 as
                   symlinks into /usr and bash with its libraries; the second
                   writes /lib/x86_64-linux-gnu/from-layer-2 through the
                   /lib symlink. Cmd: bash printing its version.
  evil-*/          OCI layouts whose layer tries to write outside the
                   rootfs, each named for how: traversal (../), absolute
                   (/name), symlink (a symlinked parent pointing out),
                   symlink-layers (the same, the link in a first layer and
                   the file in a second),
                   hardlink (a link to the host's /etc/passwd), size (an
                   entry claiming 1 EiB). The others aim at
                   OUTDIR/../escaped-<kind>, which must never appear.
  tampered-blob/   busybox/ with its second layer's blob replaced by
                   other content under the same name.
  poison.tar       a docker archive with busybox's config (so its diff
                   ids) over a first layer of other content ("poisoned").
  evil-whiteout-{dot,dotdot,empty}/
                   a second layer whose whiteout is ".wh..", ".wh..." or
                   "etc/.wh.": it names no file.
  evil-etc-link/   /etc a symlink climbing to the host's /etc, user root.
  evil-passwd-fifo/  /etc/passwd a FIFO, user root.
  arm64/           busybox/ made for arm64.
  multiarch/       an index of an arm64 image and busybox/ for amd64.
  relative-workdir/  busybox/ with working dir "srv".
  many-layers/     81 layers, cmd counting the 80 files the top ones add.

Only the standard library: the tests of every binding run it.
"""

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"


def add_bytes(tar, name, data, mode=0o644, uid=0, gid=0, pax=None):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.uid, info.gid = len(data), mode, uid, gid
    info.mtime = 1700000000
    if pax:
        info.pax_headers = pax
    tar.addfile(info, io.BytesIO(data))


def add_entry(tar, name, kind, target="", mode=0o755):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode, info.mtime = kind, target, mode, 1700000000
    tar.addfile(info)


def layer_base(rootfs):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(rootfs, arcname=".", filter=lambda i: _mtime(i))
        add_entry(tar, "srv", tarfile.DIRTYPE)
        add_entry(tar, "srv-link", tarfile.SYMTYPE, "srv", 0o777)
        add_bytes(tar, "etc/motd", b"old motd\n")
        add_bytes(tar, "etc/victim", b"to be deleted\n")
        add_entry(tar, "etc/old-dir", tarfile.DIRTYPE)
        add_bytes(tar, "etc/old-dir/a", b"a\n")
        add_bytes(tar, "etc/old-dir/b", b"b\n")
    return buf.getvalue()


def _mtime(info):
    info.mtime = 1700000000
    return info


def layer_changes():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add_bytes(tar, "etc/.wh.victim", b"")
        add_entry(tar, "etc/old-dir", tarfile.DIRTYPE)
        add_bytes(tar, "etc/old-dir/.wh..wh..opq", b"")
        add_bytes(tar, "etc/old-dir/c", b"c\n")
        add_bytes(tar, "etc/motd", b"hello from the second layer\n")
        add_entry(tar, "etc/motd-link", tarfile.LNKTYPE, "etc/motd")
        add_entry(tar, "etc/motd-symlink", tarfile.SYMTYPE, "motd", 0o777)
        add_bytes(tar, "etc/owned", b"owned\n", mode=0o640, uid=1234, gid=5678,
                  pax={"SCHILY.xattr.user.origin": "layer2"})
        add_entry(tar, "etc/fifo", tarfile.FIFOTYPE, mode=0o600)
        add_bytes(tar, "srv-link/through", b"through\n")
    return buf.getvalue()


def evil_layer(kind, target):
    """A layer that tries to write the absolute path target (or, for kind
    "hardlink", to link to the host's /etc/passwd)."""
    up = "../" * 16
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add_bytes(tar, "etc/harmless", b"fine\n")
        if kind == "traversal":
            add_bytes(tar, up + target.lstrip("/"), b"escaped\n")
        elif kind == "absolute":
            add_bytes(tar, target, b"escaped\n")
        elif kind == "symlink":
            add_entry(tar, "out", tarfile.SYMTYPE, up + os.path.dirname(target).lstrip("/"), 0o777)
            add_bytes(tar, "out/" + os.path.basename(target), b"escaped\n")
        elif kind == "symlink-layers":
            add_entry(tar, "out", tarfile.SYMTYPE, up + os.path.dirname(target).lstrip("/"), 0o777)
        elif kind == "hardlink":
            add_entry(tar, "stolen", tarfile.LNKTYPE, up + "etc/passwd")
        elif kind == "size":
            info = tarfile.TarInfo("huge")
            info.size = 1 << 60
            tar.fileobj.write(info.tobuf(tarfile.PAX_FORMAT))
            tar.offset += tarfile.BLOCKSIZE
    return buf.getvalue()


def escape_through(target):
    """A second layer writing through the first one's symlink "out"."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add_bytes(tar, "out/" + os.path.basename(target), b"escaped\n")
    return buf.getvalue()


class Layout:
    """An OCI image layout being written."""

    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)

    def blob(self, data):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.path, "blobs", "sha256", digest), "wb") as f:
            f.write(data)
        return "sha256:" + digest

    def manifest(self, layers, config, arch="amd64"):
        """Write the blobs of one image; return its manifest's descriptor,
        its config and its layers' descriptors."""
        descs, diff_ids = [], []
        for tar in layers:
            gz = gzip.compress(tar, mtime=0)
            descs.append({"mediaType": MEDIA_LAYER, "digest": self.blob(gz), "size": len(gz)})
            diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        config = dict(config, architecture=arch, os="linux",
                      rootfs={"type": "layers", "diff_ids": diff_ids})
        cfg = json.dumps(config).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": MEDIA_MANIFEST,
            "config": {"mediaType": MEDIA_CONFIG, "digest": self.blob(cfg), "size": len(cfg)},
            "layers": descs,
        }).encode()
        desc = {"mediaType": MEDIA_MANIFEST, "digest": self.blob(manifest), "size": len(manifest)}
        return desc, cfg, descs

    def index(self, descs):
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": descs}, f)

    def image(self, tag, layers, config, arch="amd64"):
        desc, cfg, descs = self.manifest(layers, config, arch)
        self.index([dict(desc, annotations={"org.opencontainers.image.ref.name": tag})])
        return cfg, descs

    def multiarch(self, tag, images):
        """An image index of (arch, layers, config), tagged tag."""
        descs = []
        for arch, layers, config in images:
            desc, _, _ = self.manifest(layers, config, arch)
            descs.append(dict(desc, platform={"architecture": arch, "os": "linux"}))
        nested = json.dumps({"schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": descs}).encode()
        self.index([{"mediaType": MEDIA_INDEX, "digest": self.blob(nested), "size": len(nested),
                     "annotations": {"org.opencontainers.image.ref.name": tag}}])


def docker_archive(path, layers, cfg):
    """Write layers and config as `docker save` does (uncompressed layers)."""
    with tarfile.open(path, "w") as out:
        names = []
        for tar in layers:
            name = hashlib.sha256(tar).hexdigest() + "/layer.tar"
            add_bytes(out, name, tar)
            names.append(name)
        cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
        add_bytes(out, cfg_name, cfg)
        manifest = [{"Config": cfg_name, "RepoTags": ["busybox:latest"], "Layers": names}]
        add_bytes(out, "manifest.json", json.dumps(manifest).encode())


def tar_of(entries):
    """A layer of (name, bytes) files and (name, kind, target) entries."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in entries:
            if len(e) == 2:
                add_bytes(tar, e[0], e[1])
            else:
                add_entry(tar, e[0], e[1], e[2], 0o777 if e[1] == tarfile.SYMTYPE else 0o755)
    return buf.getvalue()


def hostile(out, layers, config):
    """The hostile images beside the good ones, each in OUTDIR/NAME."""
    base, changes = layers
    up = "../" * 16
    marker = b"poisoned\n"
    # A layout whose second layer blob holds other content than its name.
    desc_cfg, descs = Layout(os.path.join(out, "tampered-blob")).image("latest", layers, config)
    other = gzip.compress(tar_of([("etc/motd", b"tampered\n")]), mtime=0)
    with open(os.path.join(out, "tampered-blob", "blobs", "sha256", descs[1]["digest"][7:]), "wb") as f:
        f.write(other)
    # A docker archive that claims busybox's base layer diff id for other
    # content: a cache keyed by it must not serve it to busybox.
    evil_base = tar_of([("bin/sh", marker), ("etc/motd", marker)])
    cfg = json.loads(desc_cfg)
    poison = os.path.join(out, "poison.tar")
    with tarfile.open(poison, "w") as tar:
        add_bytes(tar, "layer0/layer.tar", evil_base)
        add_bytes(tar, "layer1/layer.tar", changes)
        raw = json.dumps(cfg).encode()
        add_bytes(tar, "config.json", raw)
        add_bytes(tar, "manifest.json", json.dumps([{
            "Config": "config.json", "RepoTags": ["poison:latest"],
            "Layers": ["layer0/layer.tar", "layer1/layer.tar"]}]).encode())
    # Whiteouts that name no file: the rootfs itself, its parent, nothing.
    for kind, name in (("dot", ".wh.."), ("dotdot", ".wh..."), ("empty", "etc/.wh.")):
        Layout(os.path.join(out, "evil-whiteout-" + kind)).image(
            "latest", [base, tar_of([(name, b"")])], config)
    # /etc a symlink to the host's /etc; /etc/passwd a FIFO.
    Layout(os.path.join(out, "evil-etc-link")).image("latest", [tar_of([
        ("bin", tarfile.DIRTYPE, ""), ("etc", tarfile.SYMTYPE, up + "etc")])],
        {"config": {"Cmd": ["true"], "User": "root"}})
    fifo = io.BytesIO()
    with tarfile.open(fileobj=fifo, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add_entry(tar, "etc", tarfile.DIRTYPE)
        add_entry(tar, "etc/passwd", tarfile.FIFOTYPE, mode=0o644)
    Layout(os.path.join(out, "evil-passwd-fifo")).image(
        "latest", [fifo.getvalue()], {"config": {"Cmd": ["true"], "User": "root"}})
    # Made for another architecture; and an index of two, one the host's.
    Layout(os.path.join(out, "arm64")).image("latest", layers, config, arch="arm64")
    Layout(os.path.join(out, "multiarch")).multiarch("latest", [
        ("arm64", [tar_of([("etc/motd", b"arm64\n")])], {"config": {"Cmd": ["true"]}}),
        ("amd64", layers, config)])
    # A relative working dir.
    Layout(os.path.join(out, "relative-workdir")).image(
        "latest", layers, {"config": dict(config["config"], WorkingDir="srv")})
    # More layers than one overlay option string can name.
    many = [base] + [tar_of([("layers/%03d" % i, b"%d\n" % i)]) for i in range(80)]
    Layout(os.path.join(out, "many-layers")).image(
        "latest", many, {"config": dict(config["config"], Cmd=["ls /layers | wc -l"])})


def debian_layers():
    """The debian/ image's layers from the host's bash, or None."""
    if not os.path.islink("/lib") or not os.path.exists("/usr/bin/bash"):
        return None
    ldd = subprocess.run(["ldd", "/usr/bin/bash"], capture_output=True, text=True)
    libs = [w for w in ldd.stdout.split() if w.startswith("/")]
    if ldd.returncode != 0 or not libs:
        return None
    base, top = io.BytesIO(), io.BytesIO()
    with tarfile.open(fileobj=base, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for d in ("usr", "usr/bin", "usr/lib", "usr/lib64", "usr/lib/x86_64-linux-gnu", "tmp", "etc"):
            add_entry(tar, d, tarfile.DIRTYPE)
        for link in ("bin", "lib", "lib64", "sbin"):
            if os.path.islink("/" + link):
                add_entry(tar, link, tarfile.SYMTYPE, os.readlink("/" + link), 0o777)
        add_bytes(tar, "etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n")
        for path in ["/usr/bin/bash"] + libs:
            real = os.path.realpath(path)
            with open(real, "rb") as f:
                add_bytes(tar, real.lstrip("/"), f.read(), mode=0o755)
            name = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
            if name != real:  # a versioned library's or ld.so's link
                add_entry(tar, name.lstrip("/"), tarfile.SYMTYPE, real, 0o777)
    with tarfile.open(fileobj=top, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add_bytes(tar, "lib/x86_64-linux-gnu/from-layer-2", b"through /lib\n")
    return [base.getvalue(), top.getvalue()]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make-image.py ROOTFS OUTDIR")
    rootfs, out = sys.argv[1], os.path.abspath(sys.argv[2])
    layers = [layer_base(rootfs), layer_changes()]
    config = {"config": {
        "Entrypoint": ["sh", "-c"], "Cmd": ["cat /etc/motd"], "WorkingDir": "/srv",
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "GREETING=hello", "JUSTNAME"],
        "User": "nobody",
        "Labels": {"run.oci.keep_original_groups": "1", "org.systemd.property.TimeoutStopUSec": "1",
                   "org.opencontainers.image.title": "busybox"},
        "StopSignal": "SIGUSR1",
    }}
    cfg, _ = Layout(os.path.join(out, "busybox")).image("latest", layers, config)
    docker_archive(os.path.join(out, "busybox.tar"), layers, cfg)
    with tarfile.open(os.path.join(out, "busybox-oci.tar"), "w") as tar:
        tar.add(os.path.join(out, "busybox"), arcname=".")
    hostile(out, layers, config)
    debian = debian_layers()
    if debian:
        Layout(os.path.join(out, "debian")).image("latest", debian, {"config": {
            "Cmd": ["bash", "-c", "echo bash ${BASH_VERSINFO[0]}; "
                    "read -r l < /usr/lib/x86_64-linux-gnu/from-layer-2 && echo $l"],
            "Env": ["PATH=/usr/bin:/bin"],
        }})
    for kind in ("traversal", "absolute", "symlink", "symlink-layers", "hardlink", "size"):
        target = os.path.join(os.path.dirname(out), "escaped-" + kind)
        evil = [evil_layer(kind, target)]
        if kind == "symlink-layers":
            evil.append(escape_through(target))
        Layout(os.path.join(out, "evil-" + kind)).image("latest", evil, {"config": {"Cmd": ["true"]}})

if __name__ == "__main__":
    main()
