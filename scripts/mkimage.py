#!/usr/bin/env python3
"""Build a tiny OCI image archive from the host's static busybox, with no network.

The image holds /bin/busybox, one symlink per applet, a minimal /etc/passwd and /etc/group, and the
default command `sleep infinity`, so the same image serves as the CRI sandbox ("pause") image and as
the workload image of the tests. The output is reproducible: every timestamp is 0 and every JSON
document is written with sorted keys, so the same busybox always gives the same digests.

usage: mkimage.py OUT.tar [IMAGE_NAME]        (default name docker.io/crisync/busybox:latest)
Prints one JSON line with the digests. Python 3 standard library only.
"""
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

BUSYBOX = "/bin/busybox"  # Debian package busybox-static
DEFAULT_NAME = "docker.io/crisync/busybox:latest"
LAYER_DIRS = ["bin", "dev", "etc", "home", "proc", "root", "sbin", "sys", "tmp",
              "usr", "usr/bin", "usr/sbin", "var", "var/tmp"]
STICKY_DIRS = {"tmp", "var/tmp"}


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_entry(path, kind=tarfile.REGTYPE, mode=0o644, size=0, link=""):
    info = tarfile.TarInfo(path)
    info.type, info.mode, info.size, info.linkname = kind, mode, size, link
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "root", "root"
    return info


def add_bytes(archive, path, data, mode=0o644):
    archive.addfile(tar_entry(path, mode=mode, size=len(data)), io.BytesIO(data))


def busybox_applets():
    """Applet paths relative to / (e.g. `bin/sh`, `usr/bin/tail`), without busybox itself."""
    listing = subprocess.run([BUSYBOX, "--list-full"], capture_output=True, text=True, check=True).stdout
    return sorted({line.strip() for line in listing.split() if line.strip()} - {"bin/busybox"})


def build_layer():
    """An uncompressed tar of the root filesystem."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for directory in LAYER_DIRS:
            archive.addfile(tar_entry(directory, tarfile.DIRTYPE, 0o1777 if directory in STICKY_DIRS else 0o755))
        with open(BUSYBOX, "rb") as binary:
            add_bytes(archive, "bin/busybox", binary.read(), 0o755)
        for applet in busybox_applets():
            # Relative links keep the image valid wherever its rootfs is mounted.
            target = os.path.relpath("bin/busybox", os.path.dirname(applet) or ".")
            archive.addfile(tar_entry(applet, tarfile.SYMTYPE, 0o777, link=target))
        add_bytes(archive, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")
        add_bytes(archive, "etc/group", b"root:x:0:\nnogroup:x:65534:\n")
    return buffer.getvalue()


def build_archive(out, name):
    layer = build_layer()
    config = canonical_json({
        "architecture": "amd64",
        "config": {
            "Cmd": ["/bin/sleep", "infinity"],
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "WorkingDir": "/",
        },
        "created": "1970-01-01T00:00:00Z",
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "scripts/mkimage.py"}],
        "os": "linux",
        "rootfs": {"diff_ids": [sha256(layer)], "type": "layers"},
    })
    manifest = canonical_json({
        "config": {"digest": sha256(config), "mediaType": "application/vnd.oci.image.config.v1+json",
                   "size": len(config)},
        "layers": [{"digest": sha256(layer), "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "size": len(layer)}],
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "schemaVersion": 2,
    })
    last_part = name.rsplit("/", 1)[-1]
    tag = last_part.rsplit(":", 1)[1] if ":" in last_part else "latest"
    index = canonical_json({
        "manifests": [{
            "annotations": {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": tag},
            "digest": sha256(manifest), "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "platform": {"architecture": "amd64", "os": "linux"}, "size": len(manifest),
        }],
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "schemaVersion": 2,
    })

    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    partial = out + ".partial"  # a crash never leaves a half-written archive under the real name
    with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
        add_bytes(archive, "oci-layout", canonical_json({"imageLayoutVersion": "1.0.0"}))
        add_bytes(archive, "index.json", index)
        archive.addfile(tar_entry("blobs", tarfile.DIRTYPE, 0o755))
        archive.addfile(tar_entry("blobs/sha256", tarfile.DIRTYPE, 0o755))
        for blob in (layer, config, manifest):
            add_bytes(archive, "blobs/sha256/" + sha256(blob).split(":", 1)[1], blob)
    os.replace(partial, out)
    return {"out": out, "name": name, "manifest": sha256(manifest), "config": sha256(config),
            "layer_bytes": len(layer)}


def main(argv):
    if len(argv) not in (2, 3) or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if not os.access(BUSYBOX, os.X_OK):
        print(f"mkimage.py: {BUSYBOX} not found (apt-get install busybox-static)", file=sys.stderr)
        return 1
    print(json.dumps(build_archive(argv[1], argv[2] if len(argv) == 3 else DEFAULT_NAME)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
