#!/usr/bin/python

# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: rdma_info
short_description: Gather facts about RDMA devices, the RDMA netns mode and the driver stack
version_added: 0.1.0
author:
  - rdmaops.fabric maintainers (@rdmaops)
description:
  - Reports the RDMA devices of a host, read from sysfs (C(class/infiniband/<dev>) under O(sysfs_root)),
    with PCI address, node GUID, firmware version, board id (PSID), SR-IOV VF counts and ports
    (state, physical state, link layer, rate, netdev).
  - Reports the RDMA network namespace mode from C(rdma system) (or, without the tool, from
    C(module/ib_core/parameters/netns_mode) in sysfs) and the driver stack from C(ofed_info -s).
  - When sysfs shows no RDMA device and O(use_tools=true), the devices are taken from C(rdma dev),
    C(rdma link), C(ibstat) and C(ibdev2netdev -v), whichever is installed.
  - Never changes anything. A host without RDMA devices gives empty lists, not a failure.
extends_documentation_fragment:
  - rdmaops.fabric._attributes
  - rdmaops.fabric._attributes.INFO_MODULE
options:
  sysfs_root:
    description:
      - The directory sysfs is mounted on. Use it for a host sysfs mounted into a container, or a
        simulated tree.
    type: path
    default: /sys
  use_tools:
    description:
      - Run C(rdma system), C(ofed_info -s) and, when sysfs shows no device, the device tools.
      - With V(false) only sysfs is read and RV(driver) has C(stack) and C(version) null.
    type: bool
    default: true
notes:
  - Every command runs with C(LC_ALL=C) and C(LANGUAGE=C); a tool that is missing or fails is skipped.
"""

EXAMPLES = r"""
- name: Gather RDMA facts
  rdmaops.fabric.rdma_info:
  register: rdma

- name: Show the PCI address and ports of every RDMA device
  ansible.builtin.debug:
    msg: "{{ item.name }} {{ item.pci_address }} {{ item.ports | map(attribute='state') | list }}"
  loop: "{{ rdma.devices }}"

- name: Fail unless the DOCA-OFED driver stack is installed
  ansible.builtin.assert:
    that: rdma.driver.stack == 'doca_ofed'

- name: Read a host sysfs mounted into a container, without running tools
  rdmaops.fabric.rdma_info:
    sysfs_root: /host/sys
    use_tools: false
"""

RETURN = r"""
devices:
  description: The RDMA devices, sorted by name; empty when there is none.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: RDMA device name.
      type: str
      sample: mlx5_0
    pci_address:
      description: PCI address of the function, with domain.
      type: str
      sample: "0000:af:00.0"
    node_guid:
      description: Node GUID, as sysfs prints it.
      type: str
      sample: "248a:0703:0049:aee0"
    sys_image_guid:
      description: System image GUID.
      type: str
    fw_version:
      description: Firmware version.
      type: str
      sample: 16.35.2000
    board_id:
      description: Board id, the PSID on NVIDIA adapters.
      type: str
      sample: MT_0000000008
    hca_type:
      description: HCA type (C(MT4119)); null when not reported.
      type: str
    node_type:
      description: Node type, C(CA) for adapters.
      type: str
    driver:
      description: Kernel driver of the PCI function (C(mlx5_core)).
      type: str
    vendor_id:
      description: PCI vendor id (C(0x15b3)).
      type: str
    device_id:
      description: PCI device id (C(0x1017)).
      type: str
    numa_node:
      description: NUMA node of the PCI function; C(-1) when the platform has none.
      type: int
    is_vf:
      description: True for an SR-IOV virtual function.
      type: bool
    pf_pci_address:
      description: PCI address of the physical function of a VF.
      type: str
    sriov_totalvfs:
      description: VFs the function can have (firmware C(NUM_OF_VFS)); null without SR-IOV.
      type: int
    sriov_numvfs:
      description: VFs the function has now; null without SR-IOV.
      type: int
    netdevs:
      description: Network interfaces of the PCI function.
      type: list
      elements: str
    ports:
      description: Ports of the device.
      type: list
      elements: dict
      contains:
        port:
          description: Port number.
          type: int
        state:
          description: Logical state (C(ACTIVE), C(DOWN), C(INIT), C(ARMED)).
          type: str
        physical_state:
          description: Physical state (C(LinkUp), C(Disabled), C(Polling)).
          type: str
        link_layer:
          description: C(InfiniBand) or C(Ethernet).
          type: str
        rate:
          description: Rate as reported (V(100 Gb/sec (4X EDR\))).
          type: str
        rate_gbps:
          description: Rate in Gb/s.
          type: float
        lid:
          description: Port LID (InfiniBand); 0 on Ethernet.
          type: int
        sm_lid:
          description: LID of the subnet manager.
          type: int
        netdev:
          description: Network interface of the port.
          type: str
netns:
  description: The RDMA network namespace mode, C(shared) or C(exclusive); null when unknown.
  returned: always
  type: str
  sample: shared
rdma_system:
  description: Everything C(rdma system) reported; attributes it did not print are null.
  returned: always
  type: dict
  contains:
    netns:
      description: C(shared) or C(exclusive).
      type: str
    privileged_qkey:
      description: Privileged QKEY mode.
      type: bool
    monitor:
      description: RDMA monitoring support.
      type: bool
    copy_on_fork:
      description: Copy-on-fork support.
      type: bool
  sample: {"netns": "shared", "privileged_qkey": false, "monitor": null, "copy_on_fork": true}
driver:
  description:
    - The RDMA driver stack, from C(ofed_info -s).
    - C(stack) is C(mlnx_ofed) (C(MLNX_OFED_LINUX-...)), C(doca_ofed) (C(OFED-internal-...)), C(inbox)
      (no C(ofed_info)), C(unknown) (an C(ofed_info) output of another form), or null with O(use_tools=false).
  returned: always
  type: dict
  contains:
    stack:
      description: The stack.
      type: str
    version:
      description: The stack version, null for C(inbox).
      type: str
  sample: {"stack": "doca_ofed", "version": "24.10-1.1.4.0.200"}
sources:
  description: Where the facts came from (C(sysfs), C(rdma system), C(ofed_info), C(rdma dev), ...).
  returned: always
  type: list
  elements: str
  sample: [sysfs, rdma system, ofed_info]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.rdmaops.fabric.plugins.module_utils import _rdma as rdma

LC_ENV = {"LANGUAGE": "C", "LC_ALL": "C"}


class RdmaInfo:
    def __init__(self, module):
        self.module = module
        self.root = module.params["sysfs_root"]
        self.use_tools = module.params["use_tools"]
        self.sources = []

    def _tool_output(self, name, args):
        """stdout of a read-only tool, or None when it is missing or fails."""
        path = self.module.get_bin_path(name)
        if not path:
            return None
        rc, out, _err = self.module.run_command([path, *args])
        if rc != 0:
            return None
        self.sources.append(" ".join([name, *args]))
        return out or ""

    def run(self):
        devices = rdma.read_sysfs_devices(self.root)
        if devices:
            self.sources.append("sysfs")
        system = {"netns": None, "privileged_qkey": None, "monitor": None, "copy_on_fork": None}
        driver = {"stack": None, "version": None}
        if self.use_tools:
            out = self._tool_output("rdma", ["system"])
            if out is not None and not rdma.rdma_object_unknown(out):
                system = rdma.parse_rdma_system(out)
            if self.module.get_bin_path("ofed_info"):
                out = self._tool_output("ofed_info", ["-s"])
                driver = rdma.parse_ofed_info(out) if out is not None else {"stack": "unknown", "version": None}
            else:
                driver = {"stack": "inbox", "version": None}
            if not devices:
                devices = self._devices_from_tools()
        if system["netns"] is None:
            system["netns"] = rdma.read_sysfs_netns_mode(self.root)
            if system["netns"] is not None:
                self.sources.append("sysfs ib_core netns_mode")
        self.module.exit_json(
            changed=False,
            devices=sorted(devices, key=lambda d: d["name"]),
            netns=system["netns"],
            rdma_system=system,
            driver=driver,
            sources=self.sources,
        )

    def _devices_from_tools(self):
        parsed = {}
        for key, tool, args, parser in (
            ("rdma_dev", "rdma", ["dev"], rdma.parse_rdma_dev),
            ("rdma_link", "rdma", ["link"], rdma.parse_rdma_link),
            ("ibstat", "ibstat", [], rdma.parse_ibstat),
            ("ibdev2netdev", "ibdev2netdev", ["-v"], rdma.parse_ibdev2netdev),
        ):
            out = self._tool_output(tool, args)
            parsed[key] = parser(out) if out is not None else None
        return rdma.devices_from_tools(**parsed)


def build_module():
    return AnsibleModule(
        argument_spec=dict(
            sysfs_root=dict(type="path", default="/sys"),
            use_tools=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )


def main():
    module = build_module()
    module.run_command_environ_update = LC_ENV
    RdmaInfo(module).run()


if __name__ == "__main__":
    main()
