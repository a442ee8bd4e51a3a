# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: sriov_dp_config
short_description: Build per-node configs of the SR-IOV network device plugin from the sriov_firmware NIC selection
version_added: 0.1.0
author: rdmaops.fabric maintainers
description:
  - Takes the resource pools of the SR-IOV network device plugin and, for every host, the NIC
    selection of the C(sriov_firmware) role (C(sriov_firmware_nics)), and returns one plugin
    C(config.json) document per Kubernetes node.
  - A pool with C(linkType) (C(ib) or C(eth)) holds, on each host, the VFs that C(sriov_firmware_nics)
    makes (C(num_vfs) > 0) on PFs whose port has that link type (or whose C(link_type) is unset). PFs
    selected by C(pci) become a C(rootDevices) selector, by C(netdev) a C(pfNames) selector, by
    C(device_id) a C(vendors) + C(devices) selector with the device id of the NIC's virtual
    functions. Every generated selector carries C(linkTypes) (C(infiniband) or C(ether)), so the
    plugin itself checks the port type on the node, and C(isRdma).
  - A pool with C(selectors) uses the plugin's own selector objects on every host.
  - Nodes that end up with no pool are left out. Errors name the variable path, for example
    C(sriov_dp_resources[0].linkType) or C(hostvars['node1'].sriov_firmware_nics[1].num_vfs).
positional: hosts, resource_prefix, variable
options:
  _input:
    description: The resource pools (C(sriov_dp_resources)).
    type: list
    elements: dict
    required: true
  hosts:
    description:
      - One entry per host that the plugin selects, C({host, node, nics}), where C(nics) is that host's
        C(sriov_firmware_nics).
    type: list
    elements: dict
    required: true
  resource_prefix:
    description: The default resource prefix (C(sriov_dp_resource_prefix)), used for the uniqueness check.
    type: str
    default: nvidia.com
  variable:
    description: The variable name used in error messages.
    type: str
    default: sriov_dp_resources
"""

EXAMPLES = r"""
- name: Per-node configs
  ansible.builtin.debug:
    msg: >-
      {{ [{'resourceName': 'sriov_rdma_ib', 'linkType': 'ib'}]
         | rdmaops.fabric.sriov_dp_config([{'host': 'n1', 'node': 'n1',
             'nics': [{'pci': '0000:3b:00.0', 'num_vfs': 8, 'link_type': 'ib'}]}]) }}
    # {"n1": {"resourceList": [{"resourceName": "sriov_rdma_ib", "selectors": [{"rootDevices": ["0000:3b:00.0"],
    #   "linkTypes": ["infiniband"], "isRdma": true}]}]}}
"""

RETURN = r"""
_value:
  description: Kubernetes node name -> the plugin's configuration (C(resourceList)) for that node.
  type: dict
"""

import re

from ansible_collections.rdmaops.fabric.plugins.plugin_utils._device_plugins import (
    DRIVER_RE,
    HEX_ID_RE,
    IFNAME_RE,
    PCI_ADDRESS_RE,
    as_bool,
    as_dict,
    as_int,
    check_keys,
    fail,
    resource_name,
    string_list,
)
from ansible_collections.rdmaops.fabric.plugins.plugin_utils._device_plugins import (
    resource_prefix as check_prefix,
)

RESOURCE_KEYS = ("resourceName", "resourcePrefix", "linkType", "selectors", "isRdma", "drivers", "excludeTopology")
LINK_TYPES = {"ib": "infiniband", "eth": "ether"}
# pfNames entries may carry a VF index range: ens1f0#0-3 or ens1f0#0,2,4-5.
PF_NAME_RE = re.compile(r"^[^/:\s#]{1,15}(?:#[0-9]+(?:-[0-9]+)?(?:,[0-9]+(?:-[0-9]+)?)*)?$")
PKEY_RE = re.compile(r"^0x[0-9a-fA-F]{1,4}$")
ACPI_INDEX_RE = re.compile(r"^[0-9]+$")
# The plugin's netDevice selectors (pkg/types/types.go NetDeviceSelectors at v3.11.0):
# key -> (pattern or choices, description); the booleans and vdpaType are handled apart.
SELECTOR_LISTS = {
    "vendors": (HEX_ID_RE, "a PCI vendor id of 4 lower-case hex digits, e.g. 15b3"),
    "devices": (HEX_ID_RE, "a PCI device id of 4 lower-case hex digits, e.g. 101c"),
    "drivers": (DRIVER_RE, "a kernel driver name, e.g. mlx5_core"),
    "pciAddresses": (PCI_ADDRESS_RE, "a PCI address such as 0000:3b:00.2"),
    "acpiIndexes": (ACPI_INDEX_RE, "an ACPI index (digits)"),
    "pfNames": (PF_NAME_RE, "a PF interface name, optionally with #<VF ranges>, e.g. ens1f0#0-3"),
    "rootDevices": (PCI_ADDRESS_RE, "a PF PCI address such as 0000:3b:00.0"),
    "linkTypes": (("ether", "infiniband"), "ether or infiniband (not eth / ib)"),
    "ddpProfiles": (re.compile(r"^.{1,128}$"), "a DDP profile name"),
    "pKeys": (PKEY_RE, "an InfiniBand partition key such as 0x7fff"),
}
SELECTOR_BOOLS = ("isRdma", "needVhostNet")
SELECTOR_KEYS = (*SELECTOR_LISTS, *SELECTOR_BOOLS, "vdpaType")

# Mellanox/NVIDIA PF device id -> device id of its virtual functions (Linux
# drivers/net/ethernet/mellanox/mlx5/core/main.c, mlx5_core_pci_table: ConnectX-6 Dx and later
# use the generic "ConnectX Family mlx5Gen Virtual Function" 101e). The plugin's "devices"
# selector matches the VF, never the PF.
MLX_VENDOR = "15b3"
VF_DEVICE_IDS = {
    "1013": "1014",  # ConnectX-4
    "1015": "1016",  # ConnectX-4 Lx
    "1017": "1018",  # ConnectX-5
    "1019": "101a",  # ConnectX-5 Ex
    "101b": "101c",  # ConnectX-6
    "101d": "101e",  # ConnectX-6 Dx
    "101f": "101e",  # ConnectX-6 Lx
    "1021": "101e",  # ConnectX-7
    "1023": "101e",  # ConnectX-8
    "a2d6": "101e",  # BlueField-2
    "a2dc": "101e",  # BlueField-3
}
# Keys of one sriov_firmware_nics entry that select the NIC, and the other keys we read.
NIC_SELECT_KEYS = ("pci", "netdev", "device_id")


def _selector_object(path, value):
    value = as_dict(path, value)
    check_keys(path, value, SELECTOR_KEYS)
    out = {}
    for key, (pattern, what) in SELECTOR_LISTS.items():
        items = string_list(f"{path}.{key}", value.get(key), pattern, what)
        if items:
            out[key] = items
    for key in SELECTOR_BOOLS:
        if value.get(key) is not None and as_bool(f"{path}.{key}", value[key]):
            out[key] = True
    if value.get("vdpaType") is not None:
        if value["vdpaType"] not in ("vhost", "virtio"):
            fail(f"{path}.vdpaType", "must be vhost or virtio", value["vdpaType"])
        if out.get("isRdma"):
            fail(path, "sets both isRdma and vdpaType; the plugin refuses that", show_value=False)
        out["vdpaType"] = value["vdpaType"]
    # An empty selector object matches every network device of the node.
    if not any(k in out for k in SELECTOR_LISTS):
        fail(path, "must select devices: an empty selector matches every network device of the node", value)
    return out


def _port_link_types(path, nic, key):
    """The link types of the ports whose VFs this entry makes, or None when link_type is unset
    (not managed by sriov_firmware: the pool's linkTypes selector then decides on the node).

    A string is the link type of the port of every selected PF. A list describes the ports of the
    NIC: a PF selected by PCI address is port <function + 1>; for a netdev or device id selection
    every listed type may occur.
    """
    value = nic.get("link_type")
    if value is None:
        return None
    if isinstance(value, str):
        ports = [value]
    elif isinstance(value, (list, tuple)) and value:
        ports = list(value)
        if key == "pci":
            function = int(str(nic["pci"])[-1])
            if function < len(ports):
                ports = [ports[function]]
    else:
        fail(f"{path}.link_type", "must be eth or ib, or a list per port of the NIC", value)
    for port in ports:
        if port not in LINK_TYPES:
            fail(f"{path}.link_type", "must be eth or ib, or a list of them per port", value)
    return set(ports)


def _nic_selector(path, nic, link_type, is_rdma, drivers):
    """The plugin selector for the VFs of one sriov_firmware_nics entry, or None when the entry
    makes no VF (num_vfs unset or 0) or none on a port of this link type."""
    nic = as_dict(path, nic)
    if nic.get("num_vfs") is None:
        return None  # VFs not managed by sriov_firmware for these PFs
    if as_int(f"{path}.num_vfs", nic["num_vfs"], minimum=0) == 0:
        return None
    given = [k for k in NIC_SELECT_KEYS if nic.get(k) not in (None, "")]
    if len(given) != 1:
        fail(path, f"must select PFs with exactly one of {', '.join(NIC_SELECT_KEYS)}", nic)
    key = given[0]
    value = nic[key]
    selector = {}
    if key == "pci":
        address = str(value).lower()
        if not PCI_ADDRESS_RE.match(address):
            fail(f"{path}.pci", "must be a PCI address such as 0000:3b:00.0 or 3b:00.0", value)
        selector["rootDevices"] = [address if address.count(":") == 2 else f"0000:{address}"]
    elif key == "netdev":
        if not isinstance(value, str) or not IFNAME_RE.match(value):
            fail(f"{path}.netdev", "must be a network interface name", value)
        selector["pfNames"] = [value]
    else:
        match = re.match(r"^([0-9a-f]{4}):([0-9a-f]{4})$", str(value).lower())
        if not match:
            fail(f"{path}.device_id", "must be <vendor>:<device> in hex, e.g. 15b3:101b", value)
        vendor, device = match.groups()
        if vendor != MLX_VENDOR or device not in VF_DEVICE_IDS:
            fail(
                f"{path}.device_id",
                "is not an SR-IOV capable NVIDIA/Mellanox PF whose VF device id is known; "
                "select the PFs by pci or netdev instead",
                value,
            )
        selector["vendors"] = [vendor]
        selector["devices"] = [VF_DEVICE_IDS[device]]
    ports = _port_link_types(path, nic, key)
    if ports is not None and link_type not in ports:
        return None
    if drivers:
        selector["drivers"] = drivers
    selector["linkTypes"] = [LINK_TYPES[link_type]]
    if is_rdma:
        selector["isRdma"] = True
    return selector


def _resources(resources, prefix, variable):
    if not isinstance(resources, (list, tuple)) or isinstance(resources, str):
        fail(variable, "must be a list of resource pools", resources)
    if not resources:
        fail(variable, "must define at least one resource pool", show_value=False)
    seen = {}
    pools = []
    for index, item in enumerate(resources):
        path = f"{variable}[{index}]"
        as_dict(path, item)
        check_keys(path, item, RESOURCE_KEYS, required=("resourceName",))
        pool = {"resourceName": resource_name(f"{path}.resourceName", item["resourceName"])}
        if item.get("resourcePrefix") is not None:
            pool["resourcePrefix"] = check_prefix(f"{path}.resourcePrefix", item["resourcePrefix"])
        full = f"{pool.get('resourcePrefix', prefix)}/{pool['resourceName']}"
        if full in seen:
            fail(f"{path}.resourceName", f"{full} duplicates {variable}[{seen[full]}]", pool["resourceName"])
        seen[full] = index
        if item.get("excludeTopology") is not None and as_bool(f"{path}.excludeTopology", item["excludeTopology"]):
            pool["excludeTopology"] = True
        has_link, has_selectors = item.get("linkType") is not None, item.get("selectors") is not None
        if has_link == has_selectors:
            fail(
                path,
                "needs exactly one of linkType (VFs of the sriov_firmware_nics ports of that link type) "
                "or selectors (the plugin's selector objects)",
                show_value=False,
            )
        is_rdma = as_bool(f"{path}.isRdma", item["isRdma"]) if item.get("isRdma") is not None else True
        drivers = string_list(f"{path}.drivers", item.get("drivers"), DRIVER_RE, "a kernel driver name")
        if has_link:
            if item["linkType"] not in LINK_TYPES:
                fail(f"{path}.linkType", "must be ib or eth", item["linkType"])
            pools.append((pool, item["linkType"], is_rdma, drivers, None))
        else:
            if item.get("isRdma") is not None or drivers:
                fail(path, "isRdma and drivers go inside the selector objects when selectors is used", show_value=False)
            selectors = item["selectors"]
            if isinstance(selectors, dict):
                selectors = [selectors]
            if not isinstance(selectors, (list, tuple)) or not selectors:
                fail(f"{path}.selectors", "must be a non-empty list of selector objects", item["selectors"])
            objs = [_selector_object(f"{path}.selectors[{i}]", s) for i, s in enumerate(selectors)]
            pools.append((pool, None, None, None, objs))
    return pools


def sriov_dp_config(resources, hosts, resource_prefix="nvidia.com", variable="sriov_dp_resources"):
    """Validate the pools and every selected host's NICs; return {node: config}."""
    check_prefix("sriov_dp_resource_prefix", resource_prefix)
    pools = _resources(resources, resource_prefix, variable)
    if not isinstance(hosts, (list, tuple)):
        fail("hosts", "must be a list of {host, node, nics}", hosts)
    configs = {}
    for entry in hosts:
        host, node, nics = entry["host"], entry["node"], entry.get("nics")
        nics_path = f"hostvars['{host}'].sriov_firmware_nics"
        if nics is None:
            nics = []
        if not isinstance(nics, (list, tuple)) or isinstance(nics, str):
            fail(nics_path, "must be a list of NIC entries", nics)
        resource_list = []
        for pool, link_type, is_rdma, drivers, objs in pools:
            if objs is None:
                objs = [
                    s
                    for i, nic in enumerate(nics)
                    if (s := _nic_selector(f"{nics_path}[{i}]", nic, link_type, is_rdma, drivers)) is not None
                ]
            if objs:
                resource_list.append({**pool, "selectors": objs})
        if resource_list:
            if node in configs:
                fail(f"hostvars['{host}'].rdmaops_k8s_node_name", "names a node that another host also names", node)
            configs[node] = {"resourceList": resource_list}
    return configs


class FilterModule:
    def filters(self):
        return {"sriov_dp_config": sriov_dp_config}
