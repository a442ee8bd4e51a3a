# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small simulated sysfs tree for the rdma_info / _rdma sysfs reader tests."""

from __future__ import annotations

import os


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def make_sysfs(root, totalvfs="4"):
    """A small sysfs tree: a RoCE PF with 2 VFs (one shown as an RDMA device) and an IB PF."""
    pci = root / "devices" / "pci0000:00" / "0000:00:02.0"
    # RoCE PF
    pf = pci / "0000:af:00.0"
    _write(pf / "vendor", "0x15b3")
    _write(pf / "device", "0x1017")
    _write(pf / "numa_node", "1")
    _write(pf / "sriov_totalvfs", totalvfs)
    _write(pf / "sriov_numvfs", "2")
    _write(pf / "net" / "ens1f0" / "dev_port", "0")
    drivers = root / "bus" / "pci" / "drivers" / "mlx5_core"
    drivers.mkdir(parents=True)
    (pf / "driver").symlink_to(os.path.relpath(drivers, pf))
    ib = root / "class" / "infiniband"
    ib.mkdir(parents=True)
    dev = pf / "infiniband" / "mlx5_0"
    _write(dev / "node_guid", "248a:0703:00b3:d112")
    _write(dev / "sys_image_guid", "248a:0703:00b3:d112")
    _write(dev / "fw_ver", "16.35.2000")
    _write(dev / "board_id", "MT_0000000008")
    _write(dev / "hca_type", "MT4119")
    _write(dev / "node_type", "1: CA")
    _write(dev / "ports" / "1" / "state", "4: ACTIVE")
    _write(dev / "ports" / "1" / "phys_state", "5: LinkUp")
    _write(dev / "ports" / "1" / "link_layer", "Ethernet")
    _write(dev / "ports" / "1" / "rate", "100 Gb/sec (4X EDR)")
    _write(dev / "ports" / "1" / "lid", "0x0")
    _write(dev / "ports" / "1" / "sm_lid", "0x0")
    _write(dev / "ports" / "1" / "gid_attrs" / "ndevs" / "0", "ens1f0")
    (dev / "device").symlink_to(os.path.relpath(pf, dev))
    (ib / "mlx5_0").symlink_to(os.path.relpath(dev, ib))
    # its VF
    vf = pci / "0000:af:00.2"
    _write(vf / "net" / "ens1f0v0" / "dev_port", "0")
    (vf / "physfn").symlink_to(os.path.relpath(pf, vf))
    vdev = vf / "infiniband" / "mlx5_2"
    _write(vdev / "ports" / "1" / "state", "1: DOWN")
    _write(vdev / "ports" / "1" / "phys_state", "3: Disabled")
    (vdev / "device").symlink_to(os.path.relpath(vf, vdev))
    (ib / "mlx5_2").symlink_to(os.path.relpath(vdev, ib))
    # IB PF, two netdevs (IPoIB parent and a child interface), device dir without a PCI-named target
    ibdev = root / "fake" / "mlx5_1"
    _write(ibdev / "fw_ver", "20.31.1014")
    _write(ibdev / "ports" / "1" / "state", "4: ACTIVE")
    _write(ibdev / "ports" / "1" / "link_layer", "InfiniBand")
    _write(ibdev / "ports" / "1" / "rate", "200 Gb/sec (4X HDR)")
    _write(ibdev / "ports" / "1" / "lid", "0x1a")
    _write(ibdev / "device" / "uevent", "DRIVER=mlx5_core\nPCI_SLOT_NAME=0000:3b:00.0")
    _write(ibdev / "device" / "net" / "ib0.8001" / "dev_port", "0")
    _write(ibdev / "device" / "net" / "ib0" / "dev_port", "0")
    (ibdev / "ports" / "extra").mkdir()
    (ib / "mlx5_1").symlink_to(os.path.relpath(ibdev, ib))
    _write(root / "module" / "ib_core" / "parameters" / "netns_mode", "N")
    return root
