#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# .lab/collections/ansible_collections/rdmaops/fabric -> the checkout (idempotent); the
# Molecule `dependency` step of every scenario, and the same link `make deps` makes.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
link=$repo/.lab/collections/ansible_collections/rdmaops/fabric
mkdir -p "$(dirname "$link")"
[ "$(readlink "$link" 2>/dev/null)" = "$repo" ] || ln -sfn "$repo" "$link"
