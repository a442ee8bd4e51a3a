#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Podman set-up for the rdmaops.fabric lab (idempotent; safe where podman already works).
#
#   lab/podman/setup.sh [--check]
#
# 1. Installs podman, runc and debootstrap with apt-get when one of them is missing.
# 2. Probes the OCI runtime by running a throw-away container from a tiny rootfs made of
#    /usr/bin/true and its libraries (no image and no registry needed).
# 3. Only if that probe fails: merges `default_ulimits = []` ([containers]) and
#    `runtime = "runc"` ([engine]) into /etc/containers/containers.conf, after a backup,
#    keeping every other key, and probes again.
# A machine where the probe already passes is left untouched. --check only reports.
# See lab/image/README.md ("Podman set-up") for why these two keys.
set -eu

CONF=${RDMAOPS_CONTAINERS_CONF:-/etc/containers/containers.conf}
CHECK_ONLY=0
[ "${1:-}" = "--check" ] && CHECK_ONLY=1

log() { printf 'podman-setup: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
    else die "need root for: $*"
    fi
}

# --- 1. packages -------------------------------------------------------------------------
missing=""
for pkg in podman runc debootstrap; do
    command -v "$pkg" >/dev/null 2>&1 || [ -x "/usr/sbin/$pkg" ] || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    [ "$CHECK_ONLY" -eq 1 ] && die "missing:$missing"
    command -v apt-get >/dev/null 2>&1 || die "missing:$missing and no apt-get; install them by hand"
    log "installing:$missing (apt-get)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # podman and runc in one transaction: runc satisfies podman's `crun | runc`.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null
fi

# --- 2. probe ----------------------------------------------------------------------------
probe_dir=$(mktemp -d "${TMPDIR:-/tmp}/rdmaops-podman-probe.XXXXXX")
trap 'rm -rf "$probe_dir"' EXIT INT TERM
mkdir -p "$probe_dir/rootfs/usr/bin"
cp /usr/bin/true "$probe_dir/rootfs/usr/bin/true"
for lib in $(ldd /usr/bin/true | grep -o '/[^ ]*'); do
    mkdir -p "$probe_dir/rootfs$(dirname "$lib")"
    cp -L "$lib" "$probe_dir/rootfs$lib"
done

probe() {
    as_root podman run --rm --network=none --rootfs "$probe_dir/rootfs" /usr/bin/true \
        >"$probe_dir/out" 2>&1
}

if probe; then
    log "podman works ($(podman info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null)); nothing to change"
    exit 0
fi
log "podman probe failed: $(tail -n 1 "$probe_dir/out")"
[ "$CHECK_ONLY" -eq 1 ] && exit 1
command -v runc >/dev/null 2>&1 || [ -x /usr/sbin/runc ] || die "runc is not installed"

# --- 3. merge the two keys into containers.conf ------------------------------------------
as_root mkdir -p "$(dirname "$CONF")"
if [ -e "$CONF" ]; then
    backup="$CONF.rdmaops-bak.$(date +%Y%m%d%H%M%S)"
    as_root cp -p "$CONF" "$backup"
    log "backed up $CONF to $backup"
fi
as_root python3 - "$CONF" <<'PY'
# Line-based TOML merge: set [containers] default_ulimits and [engine] runtime, keep the rest.
import re, sys
path = sys.argv[1]
want = {"containers": ("default_ulimits", "[]"), "engine": ("runtime", '"runc"')}
try:
    lines = open(path, encoding="utf-8").read().splitlines()
except FileNotFoundError:
    lines = []
out, table, done, skip_depth = [], None, set(), 0
header = re.compile(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$")
for line in lines:
    if skip_depth:                       # swallowing the rest of a multi-line value
        skip_depth += line.count("[") - line.count("]")
        continue
    m = header.match(line)
    if m:
        table = m.group(1).strip()
        out.append(line)
        if table in want and table not in done:
            key, val = want[table]
            out.append(f"{key} = {val}")
            done.add(table)
        continue
    if table in want:
        key = want[table][0]
        km = re.match(rf"^\s*{key}\s*=\s*(.*)$", line)
        if km:                           # drop the old value (possibly multi-line)
            skip_depth = max(0, km.group(1).split("#")[0].count("[") - km.group(1).split("#")[0].count("]"))
            continue
    out.append(line)
for table, (key, val) in want.items():
    if table not in done:
        out += ["", f"[{table}]", f"{key} = {val}"]
with open(path + ".tmp", "w", encoding="utf-8") as fh:
    fh.write("\n".join(out).lstrip("\n") + "\n")
import os
os.replace(path + ".tmp", path)
PY
log "wrote default_ulimits = [] and runtime = \"runc\" into $CONF"

if probe; then
    log "podman works now"
else
    cat "$probe_dir/out" >&2
    die "podman still fails after the containers.conf change (see above)"
fi
