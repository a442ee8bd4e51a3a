#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the driver-stack fixtures of the `mofed` Molecule scenario, offline.

    build_fixtures.py OUTDIR KERNEL

OUTDIR/mlnx/MLNX_OFED_LINUX-<v>-debian12.1-x86_64.tgz  (one per MLNX_VERSIONS)
    A tarball shaped like MLNX_OFED: a top directory with `mlnxofedinstall` (a shell script that
    checks its arguments and the kernel like the real one and installs DEBS/*.deb with dpkg),
    DEBS/ with real .deb packages built by dpkg-deb:
      ofed-scripts             /usr/bin/ofed_info (-s prints MLNX_OFED_LINUX-<v>:), /usr/sbin/ofed_uninstall.sh
      mlnx-ofed-kernel-utils   /etc/init.d/openibd
      mlnx-ofed-kernel-modules /lib/modules/KERNEL/updates/dkms/*.ko (placeholders: the lab has no RDMA kernel)
    The packages' maintainer scripts tell hwsim (the lab's simulated hardware) that a driver stack
    is installed or removed (`hwsim driver install|remove`), so hwsim's tools see the same stack.
OUTDIR/doca-repo/   a signed flat apt repository (Packages, Release, InRelease) with the DOCA
    profiles doca-ofed and doca-roce (meta packages) over the same three packages at
    DOCA_OFED_VERSION (ofed_info -s prints OFED-internal-<v>:), and its key GPG-KEY-fixture.asc.
OUTDIR/checksums.json  {"mlnx": {version: {"file", "sha256"}}, "doca": {"version", "key_sha256"}}

Needs dpkg-deb and gpg (Debian). Deterministic for a given KERNEL apart from the signature.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

MLNX_VERSIONS = ["23.10-1.1.9.0", "24.10-1.1.4.0"]
DOCA_OFED_VERSION = "25.10-1.7.1"
DISTRO = "debian12.1"
ARCH = "x86_64"
EPOCH = 1700000000

MODULES = ["mlx_compat", "mlx5_core", "mlx5_ib", "ib_core", "ib_uverbs", "ib_umad", "rdma_ucm", "ib_ipoib"]

OFED_INFO = """#!/bin/sh
# ofed_info (fixture of rdmaops.fabric's mofed scenario; the real one comes from ofed-scripts)
case "$1" in
    -s) echo "@NAME@-@VERSION@:" ;;
    -n) echo "@VERSION@" ;;
    *) printf '%s\\n\\n' "@NAME@-@VERSION@ (OFED-@VERSION@):"; echo "Installed Packages:"; echo "-------------------";
       dpkg-query -W -f '${Package}\\n' @PACKAGES@ 2>/dev/null ;;
esac
"""

UNINSTALL = """#!/bin/sh
# ofed_uninstall.sh (fixture): purge every package of the stack, like the real script.
set -e
if [ "$1" != "--force" ]; then
    echo "This program will uninstall all OFED packages on your machine."; echo "Use --force"; exit 1
fi
echo "Removing @NAME@-@VERSION@ packages"
# like the real script: the DOCA meta packages go too
dpkg --purge $(dpkg-query -W -f '${Package}\\n' 'doca-*' 2>/dev/null) @PACKAGES_REVERSED@
echo "Uninstall finished successfully"
"""

OPENIBD = """#!/bin/sh
# openibd (fixture): the real one unloads and reloads the HCA driver.
case "$1" in
    restart|start|stop)
        printf '%-59s[  OK  ]\\n' "Unloading HCA driver:"
        printf '%-59s[  OK  ]\\n' "Loading HCA driver and Access Layer:" ;;
    status) echo "HCA driver loaded" ;;
    *) echo "Usage: openibd {start|stop|restart|status}"; exit 1 ;;
esac
"""

POSTINST = """#!/bin/sh
set -e
if [ "$1" = configure ] && command -v hwsim >/dev/null 2>&1; then
    hwsim driver install --name @NAME@ --version @VERSION@ >/dev/null
fi
"""

POSTRM = """#!/bin/sh
set -e
if { [ "$1" = remove ] || [ "$1" = purge ]; } && command -v hwsim >/dev/null 2>&1; then
    hwsim driver remove >/dev/null
fi
"""

INSTALLER = """#!/bin/bash
# mlnxofedinstall (fixture of rdmaops.fabric's mofed scenario). Like the real installer: refuses
# unknown arguments, asks for confirmation unless --force, refuses a kernel it was not built for
# unless --add-kernel-support, removes an installed MLNX_OFED first, installs DEBS/*.deb.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
built_for=@KERNEL@
force=0 add_kernel=0 kernel=$(uname -r)
while [ $# -gt 0 ]; do
    case "$1" in
        --force) force=1 ;;
        --add-kernel-support) add_kernel=1 ;;
        --without-fw-update|--skip-repo|--skip-distro-check|--without-dkms|--with-nfsrdma|--hpc|--basic|--all) ;;
        --kernel|-k) kernel=$2; shift ;;
        --distro) shift ;;
        *) echo "Unsupported argument: $1" >&2; exit 1 ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || { echo "Error: must be root" >&2; exit 1; }
if [ "$force" != 1 ]; then
    echo "Do you want to continue?[y/N]:"; read -r answer; [ "$answer" = y ] || exit 1
fi
if [ "$kernel" != "$built_for" ] && [ "$add_kernel" != 1 ]; then
    echo "The $kernel kernel is installed, MLNX_OFED_LINUX does not have drivers available for this kernel." >&2
    echo "You can run mlnxofedinstall with the --add-kernel-support flag." >&2
    exit 1
fi
mkdir -p /var/log/rdmaops-fixture
echo "$(date +%s) @VERSION@ $*" >> /var/log/rdmaops-fixture/mlnxofedinstall.log
echo "Logs dir: /tmp/MLNX_OFED_LINUX.$$.logs"
echo "General log file: /tmp/MLNX_OFED_LINUX.$$.logs/general.log"
if [ -x /usr/sbin/ofed_uninstall.sh ]; then
    echo "Removing old packages..."
    /usr/sbin/ofed_uninstall.sh --force >/dev/null
fi
echo "Installing new packages"
dpkg -i "$here"/DEBS/*.deb
echo "Installation passed successfully"
echo "To load the new driver, run:"
echo "/etc/init.d/openibd restart"
"""


def sh(*argv, **kw):
    subprocess.run(argv, check=True, **kw)


def write(path: Path, text: str, mode=0o644):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)
    os.utime(path, (EPOCH, EPOCH))


def build_deb(out_dir: Path, name, version, files, depends=(), scripts=None, description="fixture"):
    """files: {path: (text, mode)}; returns the .deb path."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        for path, (text, mode) in files.items():
            write(root / path.lstrip("/"), text, mode)
        control = [
            f"Package: {name}",
            f"Version: {version}",
            "Architecture: all",
            "Maintainer: rdmaops.fabric tests <tests@invalid>",
            "Section: kernel",
            "Priority: optional",
        ]
        if depends:
            control.append("Depends: " + ", ".join(depends))
        control.append(f"Description: {description}")
        write(root / "DEBIAN" / "control", "\n".join(control) + "\n")
        for sname, text in (scripts or {}).items():
            write(root / "DEBIAN" / sname, text, 0o755)
        for p in sorted(root.rglob("*"), reverse=True):
            os.utime(p, (EPOCH, EPOCH), follow_symlinks=False)
        deb = out_dir / f"{name}_{version}_all.deb"
        out_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(EPOCH))
        sh(
            "dpkg-deb",
            "--root-owner-group",
            "-Zgzip",
            "--build",
            str(root),
            str(deb),
            env=env,
            stdout=subprocess.DEVNULL,
        )
    return deb


def stack_debs(out_dir: Path, stack_name, version, pkg_version, kernel):
    names = ["mlnx-ofed-kernel-modules", "mlnx-ofed-kernel-utils", "ofed-scripts"]
    subst = {
        "@NAME@": stack_name,
        "@VERSION@": version,
        "@PACKAGES@": " ".join(names),
        "@PACKAGES_REVERSED@": " ".join(reversed(names)),
    }

    def fill(text):
        for k, v in subst.items():
            text = text.replace(k, v)
        return text

    debs = [
        build_deb(
            out_dir,
            "mlnx-ofed-kernel-modules",
            pkg_version,
            {f"/lib/modules/{kernel}/updates/dkms/{m}.ko": (f"fixture module {m}\n", 0o644) for m in MODULES},
            description=f"{stack_name} kernel modules for {kernel} (fixture)",
        ),
        build_deb(
            out_dir,
            "mlnx-ofed-kernel-utils",
            pkg_version,
            {"/etc/init.d/openibd": (OPENIBD, 0o755)},
            depends=[f"mlnx-ofed-kernel-modules (= {pkg_version})"],
            description="openibd (fixture)",
        ),
        build_deb(
            out_dir,
            "ofed-scripts",
            pkg_version,
            {"/usr/bin/ofed_info": (fill(OFED_INFO), 0o755), "/usr/sbin/ofed_uninstall.sh": (fill(UNINSTALL), 0o755)},
            scripts={"postinst": fill(POSTINST), "postrm": POSTRM},
            description="ofed_info (fixture)",
        ),
    ]
    return debs


def tar_dir(src: Path, dest: Path):
    def norm(ti):
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        ti.mtime = EPOCH
        return ti

    with (
        open(dest, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=EPOCH, filename="") as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        for p in [src, *sorted(src.rglob("*"))]:
            tar.add(p, arcname=str(p.relative_to(src.parent)), recursive=False, filter=norm)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_mlnx(out: Path, kernel: str) -> dict:
    result = {}
    (out / "mlnx").mkdir(parents=True, exist_ok=True)
    for version in MLNX_VERSIONS:
        top_name = f"MLNX_OFED_LINUX-{version}-{DISTRO}-{ARCH}"
        with tempfile.TemporaryDirectory() as tmp:
            top = Path(tmp) / top_name
            pkg_version = f"{version.split('-')[0]}-OFED.{version.replace('-', '.')}"
            stack_debs(top / "DEBS", "MLNX_OFED_LINUX", version, pkg_version, kernel)
            write(top / "mlnxofedinstall", INSTALLER.replace("@KERNEL@", kernel).replace("@VERSION@", version), 0o755)
            write(top / ".mlnx", version + "\n")
            write(top / "distro", DISTRO + "\n")
            tgz = out / "mlnx" / f"{top_name}.tgz"
            tar_dir(top, tgz)
        result[version] = {"file": tgz.name, "sha256": sha256(tgz)}
    return result


def build_doca(out: Path, kernel: str) -> dict:
    repo = out / "doca-repo"
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    version = DOCA_OFED_VERSION
    pkg_version = f"{version.split('-')[0]}-OFED.{version.replace('-', '.')}"
    debs = stack_debs(repo, "OFED-internal", version, pkg_version, kernel)
    deps = [f"{n} (= {pkg_version})" for n in ("ofed-scripts", "mlnx-ofed-kernel-utils", "mlnx-ofed-kernel-modules")]
    for profile in ("doca-ofed", "doca-roce"):
        debs.append(
            build_deb(repo, profile, "3.2.0-044000", {}, depends=deps, description=f"{profile} profile (fixture)")
        )

    stanzas = []
    for deb in sorted(debs):
        control = subprocess.run(
            ["dpkg-deb", "-f", str(deb)], check=True, capture_output=True, text=True
        ).stdout.strip()
        data = deb.read_bytes()
        stanzas.append(
            control
            + f"\nFilename: ./{deb.name}\nSize: {len(data)}\nMD5sum: {hashlib.md5(data).hexdigest()}"
            + f"\nSHA256: {hashlib.sha256(data).hexdigest()}\n"
        )
    packages = "\n".join(stanzas).encode()
    (repo / "Packages").write_bytes(packages)
    (repo / "Packages.gz").write_bytes(gzip.compress(packages, mtime=EPOCH))
    release = [
        "Origin: rdmaops-fixture",
        "Label: DOCA fixture",
        "Date: " + time.strftime("%a, %d %b %Y %H:%M:%S UTC", time.gmtime()),
        "SHA256:",
    ]
    for name in ("Packages", "Packages.gz"):
        data = (repo / name).read_bytes()
        release.append(f" {hashlib.sha256(data).hexdigest()} {len(data)} {name}")
    (repo / "Release").write_text("\n".join(release) + "\n")

    with tempfile.TemporaryDirectory() as gnupg:
        env = dict(os.environ, GNUPGHOME=gnupg)
        batch = (
            "%no-protection\nKey-Type: EDDSA\nKey-Curve: ed25519\nKey-Usage: sign\nName-Real: rdmaops DOCA fixture\n"
            "Name-Email: fixture@invalid\nExpire-Date: 0\n%commit\n"
        )
        sh("gpg", "--batch", "--quiet", "--gen-key", env=env, input=batch.encode(), stderr=subprocess.DEVNULL)
        sh(
            "gpg",
            "--batch",
            "--yes",
            "--quiet",
            "--clearsign",
            "-o",
            str(repo / "InRelease"),
            str(repo / "Release"),
            env=env,
        )
        key = subprocess.run(["gpg", "--batch", "--armor", "--export"], check=True, capture_output=True, env=env).stdout
    (repo / "GPG-KEY-fixture.asc").write_bytes(key)
    for p in repo.iterdir():
        os.chmod(p, 0o644)
    return {"version": version, "key_sha256": sha256(repo / "GPG-KEY-fixture.asc")}


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    out, kernel = Path(sys.argv[1]), sys.argv[2]
    out.mkdir(parents=True, exist_ok=True)
    checksums = {"mlnx": build_mlnx(out, kernel), "doca": build_doca(out, kernel), "kernel": kernel}
    (out / "checksums.json").write_text(json.dumps(checksums, indent=2) + "\n")
    print(json.dumps(checksums))
    return 0


if __name__ == "__main__":
    sys.exit(main())
