#!/bin/sh
# Install hwsim (simulated RDMA NIC tools) into a root file system.
#
#   lab/hwsim/install.sh [options] ROOT
#
#   ROOT              target root, e.g. the debootstrap directory of the node image, or / (in place),
#                     or any directory for an unprivileged local install (tests, benchmarks)
#   --bindir DIR      where the tool links go, inside ROOT (default /usr/local/sbin: it comes first in
#                     PATH, so the simulated tools shadow the real Debian ones, which stay installed)
#   --libdir DIR      where the package goes, inside ROOT (default /usr/local/lib/hwsim)
#   --python PATH     interpreter for the launcher's #! line (default /usr/bin/python3, started with -S)
#   --profile NAME    write ROOT/etc/hwsim/profile: hwsim boot initialises from it on first start
#   --no-systemd      do not install/enable hwsim-boot.service and hwsim-sync.service
#
# Installs: ROOT/LIBDIR/{hwsim/,launcher}, ROOT/BINDIR/<tool> -> launcher (relative links) for
# mlxconfig mstconfig mst rdma ibstat ibv_devices ibv_devinfo ibdev2netdev lspci mlxfwreset hwsim
# (ofed_info is linked by `hwsim driver install`), the systemd units, and ROOT/var/lib/hwsim.
set -eu

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

here=$(cd "$(dirname "$0")" && pwd)
bindir=/usr/local/sbin
libdir=/usr/local/lib/hwsim
python=/usr/bin/python3
profile=
systemd=1
root=

while [ $# -gt 0 ]; do
    case "$1" in
        --bindir) bindir=$2; shift 2 ;;
        --libdir) libdir=$2; shift 2 ;;
        --python) python=$2; shift 2 ;;
        --profile) profile=$2; shift 2 ;;
        --no-systemd) systemd=0; shift ;;
        -h|--help) usage 0 ;;
        -*) echo "install.sh: unknown option $1" >&2; usage 2 ;;
        *) root=$1; shift ;;
    esac
done
[ -n "$root" ] || { echo "install.sh: ROOT is required" >&2; usage 2; }
root=${root%/}

tools="mlxconfig mstconfig mst rdma ibstat ibv_devices ibv_devinfo ibdev2netdev lspci mlxfwreset hwsim"

dest_lib="$root$libdir"
dest_bin="$root$bindir"
mkdir -p "$dest_lib" "$dest_bin" "$root/var/lib/hwsim"
rm -rf "$dest_lib/hwsim"
mkdir -p "$dest_lib/hwsim"
# copy the package without caches
(cd "$here/hwsim" && find . -type d -name __pycache__ -prune -o -type f -print) | while read -r f; do
    mkdir -p "$dest_lib/hwsim/$(dirname "$f")"
    cp "$here/hwsim/$f" "$dest_lib/hwsim/$f"
done

cat > "$dest_lib/launcher" <<LAUNCHER
#!$python -S
# hwsim launcher: the tool is the name this file is called as (see $libdir/hwsim/main.py).
import os, sys
sys.dont_write_bytecode = False  # keep the package's .pyc cache even under PYTHONDONTWRITEBYTECODE
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from hwsim.main import run
run()
LAUNCHER
chmod 755 "$dest_lib/launcher"

# precompile with the target interpreter when it runs here (same Debian release); harmless otherwise
if [ -x "$python" ]; then
    "$python" -m compileall -q "$dest_lib/hwsim" >/dev/null 2>&1 || true
fi

# relative link target from BINDIR to LIBDIR/launcher (works inside the image and for local installs)
rel=$(python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$dest_lib/launcher" "$dest_bin" 2>/dev/null) \
    || rel="$libdir/launcher"
for t in $tools; do
    ln -sfn "$rel" "$dest_bin/$t"
done

if [ -n "$profile" ]; then
    mkdir -p "$root/etc/hwsim"
    printf '%s\n' "$profile" > "$root/etc/hwsim/profile"
fi

if [ "$systemd" = 1 ]; then
    unitdir="$root/etc/systemd/system"
    mkdir -p "$unitdir/multi-user.target.wants" "$unitdir/sysinit.target.wants"
    sed "s#@BINDIR@#$bindir#g" "$here/hwsim-boot.service" > "$unitdir/hwsim-boot.service"
    sed "s#@BINDIR@#$bindir#g" "$here/hwsim-sync.service" > "$unitdir/hwsim-sync.service"
    ln -sfn /etc/systemd/system/hwsim-boot.service "$unitdir/sysinit.target.wants/hwsim-boot.service"
    ln -sfn /etc/systemd/system/hwsim-sync.service "$unitdir/multi-user.target.wants/hwsim-sync.service"
fi
echo "hwsim: installed into ${root:-/} (tools in $bindir, package in $libdir)"
