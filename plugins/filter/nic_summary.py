# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: nic_summary
short_description: Condense one RDMA device of rdmaops.fabric.rdma_info into a summary row
version_added: 0.1.0
author: rdmaops.fabric maintainers
description:
  - Takes one element of the C(devices) list that M(rdmaops.fabric.rdma_info) returns and keeps what an
    operator looks at after a run - PCI address, device name, firmware, link layer and state per port,
    VF counts - plus a one-line rendering for console tables.
options:
  _input:
    description: One device of M(rdmaops.fabric.rdma_info)'s C(devices).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: One summary row per physical function
  ansible.builtin.debug:
    msg: "{{ rdma.devices | rejectattr('is_vf') | map('rdmaops.fabric.nic_summary') | map(attribute='line') }}"
"""

RETURN = r"""
_value:
  description: The summary of the device.
  type: dict
  contains:
    pci_address: {description: PCI address., type: str}
    name: {description: RDMA device name., type: str}
    fw_version: {description: Firmware version., type: str}
    link_layers: {description: Link layer per port in port order (C(IB) or C(ETH))., type: list, elements: str}
    port_states: {description: Logical state per port in port order., type: list, elements: str}
    sriov_totalvfs: {description: VFs the function can have., type: int}
    sriov_numvfs: {description: VFs the function has., type: int}
    line:
      description: The same on one line.
      type: str
      sample: "0000:3b:00.0 mlx5_0 fw 20.39.1002 IB/IB ACTIVE/ACTIVE vfs 8/16"
"""

SHORT_LINK_LAYER = {"InfiniBand": "IB", "Ethernet": "ETH"}


def nic_summary(device):
    """Return the summary dict of one rdma_info device."""
    ports = sorted(device.get("ports") or [], key=lambda p: p.get("port") or 0)
    link_layers = [SHORT_LINK_LAYER.get(p.get("link_layer"), p.get("link_layer") or "?") for p in ports]
    states = [p.get("state") or "?" for p in ports]
    summary = {
        "pci_address": device.get("pci_address"),
        "name": device.get("name"),
        "fw_version": device.get("fw_version"),
        "link_layers": link_layers,
        "port_states": states,
        "sriov_totalvfs": device.get("sriov_totalvfs"),
        "sriov_numvfs": device.get("sriov_numvfs"),
    }
    vfs = ""
    if summary["sriov_totalvfs"] is not None:
        vfs = f" vfs {summary['sriov_numvfs'] or 0}/{summary['sriov_totalvfs']}"
    summary["line"] = (
        f"{summary['pci_address']} {summary['name']} fw {summary['fw_version'] or '?'} "
        f"{'/'.join(link_layers) or '-'} {'/'.join(states) or '-'}{vfs}"
    )
    return summary


class FilterModule:
    """rdmaops.fabric.nic_summary"""

    def filters(self):
        return {"nic_summary": nic_summary}
