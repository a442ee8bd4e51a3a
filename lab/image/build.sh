#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Build (or reuse) the lab node images, offline:
#   base  localhost/rdmaops-node-base:<base-hash>  debootstrap (rootfs.sh) + podman import
#   lab   localhost/rdmaops-node:<lab-hash>        base + lab/hwsim (Containerfile.lab)
# <base-hash> = sha256 of rootfs.sh + packages.txt (+ arch); <lab-hash> = sha256 of the base
# tag + Containerfile.lab + every file under lab/hwsim. The rootfs tarball is cached in
# ${RDMAOPS_CACHE:-$HOME/.cache/rdmaops}/image/<base-hash>/, so a lost podman image is
# re-imported in seconds; downloaded .debs are cached in .../image/debs/.
#
#   lab/image/build.sh [--base-only] [--print] [--force] [--prune]
#     --base-only  build only the base image
#     --print      print the image references the current recipe gives, build nothing
#     --force      rebuild the base (and lab) image even if cached
#     --prune      remove rdmaops-node* images and cached tarballs of other recipes
# Prints the reference of the final image on stdout (logs go to stderr) and writes it to
# .lab/node-image. RDMAOPS_DEBIAN_MIRROR overrides the mirror taken from the apt sources.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${RDMAOPS_CACHE:-$HOME/.cache/rdmaops}/image
base_name=localhost/rdmaops-node-base
lab_name=localhost/rdmaops-node
hwsim_dir=$repo/lab/hwsim

base_only=0 print_only=0 force=0 prune=0
for arg in "$@"; do
    case $arg in
        --base-only) base_only=1 ;;
        --print) print_only=1 ;;
        --force) force=1 ;;
        --prune) prune=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

log() { printf '[lab-image %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Content hash of files: relative path, executable bit and sha256 of each, in sorted order.
hash_files() {   # hash_files DIR [FILE...]  (no FILE: every file under DIR)
    local dir=$1; shift
    (
        cd "$dir"
        if [ $# -eq 0 ]; then
            find . -type f ! -path '*/__pycache__/*' ! -path '*/.pytest_cache/*' ! -name '*.pyc' -print
        else
            printf './%s\n' "$@"
        fi | LC_ALL=C sort | while IFS= read -r f; do
            if [ -x "$f" ]; then x=x; else x=-; fi
            printf '%s %s %s\n' "$(sha256sum <"$f" | cut -c1-64)" "$x" "$f"
        done
    )
}

base_hash=$( { echo "arch=$(uname -m) suite=bookworm"; hash_files "$here" rootfs.sh packages.txt; } |
    sha256sum | cut -c1-12)
base_ref=$base_name:$base_hash

lab_hash=""
if [ -e "$hwsim_dir/install.sh" ]; then
    lab_hash=$( { echo "$base_ref"; hash_files "$here" Containerfile.lab; hash_files "$hwsim_dir"; } |
        sha256sum | cut -c1-12)
fi
lab_ref=${lab_hash:+$lab_name:$lab_hash}

if [ "$print_only" -eq 1 ]; then
    echo "base $base_ref"
    echo "lab ${lab_ref:-<none: lab/hwsim/install.sh missing>}"
    exit 0
fi

command -v podman >/dev/null || die "podman missing: run lab/podman/setup.sh (make lab-podman)"
mkdir -p "$cache"
# One build at a time per cache (parallel make, other checkouts on the same machine).
exec 9>"$cache/.lock"
flock 9

debian_mirror() {
    if [ -n "${RDMAOPS_DEBIAN_MIRROR:-}" ]; then echo "$RDMAOPS_DEBIAN_MIRROR"; return; fi
    local f m
    # deb822 sources: the first URIs of a stanza whose Suites has bookworm (not -security).
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        m=$(awk '
            /^[[:space:]]*$/ { if (uri != "" && ok) { print uri; exit } uri = ""; ok = 0; next }
            /^URIs:/   { uri = $2 }
            /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") ok = 1 }
            END { if (uri != "" && ok) print uri }' "$f" | head -n 1)
        [ -n "$m" ] && { echo "$m"; return; }
    done
    # one-line sources
    m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/) { if ($(i+1) == "bookworm") print $i; break } }' |
        head -n 1)
    echo "${m:-http://deb.debian.org/debian}"
}

build_base() {
    local dir=$cache/$base_hash tar t0
    tar=$dir/rootfs.tar
    if [ "$force" -eq 0 ] && podman image exists "$base_ref"; then
        log "base image $base_ref: cached"
        return
    fi
    if [ "$force" -eq 1 ] || [ ! -s "$tar" ]; then
        command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] ||
            die "debootstrap missing: run lab/podman/setup.sh (make lab-podman)"
        local mirror work
        mirror=$(debian_mirror)
        work=$cache/$base_hash.tmp
        umount "$work/rootfs" 2>/dev/null || true # left over by an interrupted build
        rm -rf "$work"
        mkdir -p "$work" "$cache/debs"
        # The root file system is built on a tmpfs when we may mount one: dpkg fsyncs every
        # file it unpacks, which costs ~25% of the build on a busy disk. RDMAOPS_IMAGE_TMPFS=0
        # builds on disk instead.
        mkdir -p "$work/rootfs"
        if [ "${RDMAOPS_IMAGE_TMPFS:-1}" = 1 ] && [ "$(id -u)" -eq 0 ] &&
            mount -t tmpfs -o size=4g,mode=755 rdmaops-rootfs "$work/rootfs" 2>/dev/null; then
            trap 'umount "$work/rootfs" 2>/dev/null || true' EXIT
            log "debootstrap bookworm from $mirror (recipe $base_hash, on tmpfs)"
        else
            log "debootstrap bookworm from $mirror (recipe $base_hash)"
        fi
        t0=$(now)
        PATH=$PATH:/usr/sbin:/sbin "$here/rootfs.sh" "$work/rootfs" "$mirror" "$cache/debs" \
            >"$work/debootstrap.log" 2>&1 ||
            { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed (log: $work/debootstrap.log)"; }
        log "rootfs ready in $(since "$t0") s ($(du -sm "$work/rootfs" | cut -f1) MB)"
        t0=$(now)
        tar --numeric-owner -C "$work/rootfs" -cf "$work/rootfs.tar" .
        if mountpoint -q "$work/rootfs"; then umount "$work/rootfs"; trap - EXIT; fi
        rm -rf "$work/rootfs" "$dir"
        mv "$work" "$dir"
        log "tarball $tar in $(since "$t0") s"
    else
        log "rootfs tarball cached: $tar"
    fi
    t0=$(now)
    podman import --quiet \
        --change 'CMD ["/sbin/init"]' \
        --change 'STOPSIGNAL SIGRTMIN+3' \
        --change "LABEL org.rdmaops.recipe=$base_hash" \
        --message "rdmaops lab node base, recipe $base_hash" \
        "$tar" "$base_ref" >/dev/null
    log "imported $base_ref in $(since "$t0") s"
}

build_lab() {
    [ -n "$lab_ref" ] || die "lab/hwsim/install.sh missing: cannot add the hwsim layer (use --base-only)"
    if [ "$force" -eq 0 ] && podman image exists "$lab_ref"; then
        log "lab image $lab_ref: cached"
        return
    fi
    local ctx t0
    ctx=$(mktemp -d "${TMPDIR:-/tmp}/rdmaops-lab-image.XXXXXX")
    trap 'rm -rf "$ctx"' RETURN
    cp "$here/Containerfile.lab" "$ctx/Containerfile"
    tar -C "$repo/lab" --exclude=__pycache__ --exclude=.pytest_cache --exclude='*.pyc' -cf - hwsim |
        tar -C "$ctx" -xf -
    t0=$(now)
    podman build --quiet --pull=never --network=none \
        --build-arg "BASE=$base_ref" \
        --label "org.rdmaops.recipe=$lab_hash" \
        --label "org.rdmaops.base=$base_ref" \
        -t "$lab_ref" "$ctx" >/dev/null
    log "built $lab_ref in $(since "$t0") s"
}

prune() {
    local keep_re="^($base_ref|${lab_ref:-none}|$lab_name:latest)\$" ref
    podman images --format '{{.Repository}}:{{.Tag}}' | grep -E "^($base_name|$lab_name):" |
        grep -Ev "$keep_re" | while read -r ref; do
            if podman rmi "$ref" >/dev/null 2>&1; then log "removed $ref"; else log "kept $ref (in use)"; fi
        done
    podman images --quiet --filter dangling=true --filter label=org.rdmaops.recipe | while read -r ref; do
        if podman rmi "$ref" >/dev/null 2>&1; then log "removed untagged $ref"; fi
    done
    find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name debs ! -name "$base_hash" \
        -exec rm -rf {} + -exec echo "[lab-image] removed cached {}" \; >&2
}

t_all=$(now)
build_base
final=$base_ref
if [ "$base_only" -eq 0 ]; then
    build_lab
    final=$lab_ref
    podman tag "$final" "$lab_name:latest"
fi
[ "$prune" -eq 1 ] && prune
mkdir -p "$repo/.lab"
echo "$final" >"$repo/.lab/node-image"
log "ready: $final ($(since "$t_all") s)"
echo "$final"
