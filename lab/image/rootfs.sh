#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The recipe of the lab node base image: a Debian 12 root file system for a podman systemd
# container. This file and packages.txt are hashed into the base image tag (build.sh), so
# any edit here rebuilds the base image; keep orchestration (caching, podman) in build.sh.
#
#   lab/image/rootfs.sh ROOTFS MIRROR [DEB_CACHE_DIR]
set -eu
rootfs=$1
mirror=$2
deb_cache=${3:-}
here=$(cd "$(dirname "$0")" && pwd)

packages=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages.txt" | tr -s ' \n' ',' | sed 's/,$//')

set -- --variant=minbase --include="$packages"
[ -n "$deb_cache" ] && set -- "$@" --cache-dir="$deb_cache"
[ -r /usr/share/keyrings/debian-archive-keyring.gpg ] &&
    set -- "$@" --keyring=/usr/share/keyrings/debian-archive-keyring.gpg
debootstrap "$@" bookworm "$rootfs" "$mirror"

# --- container tweaks ------------------------------------------------------------------
# Each container must get its own machine id (systemd creates one at first boot).
: >"$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"
# podman provides hostname, hosts and resolv.conf.
rm -f "$rootfs/etc/hostname"
# Units that only make sense on real hardware: none masked so far (see README, "Boot").
# apt: lists are refreshed by whoever installs (ansible.builtin.apt update_cache).
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
rm -rf "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/tmp/* "$rootfs"/var/tmp/*
