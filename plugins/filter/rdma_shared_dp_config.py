# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: rdma_shared_dp_config
short_description: Validate resources and build the config.json of k8s-rdma-shared-dev-plugin
version_added: 0.1.0
author: rdmaops.fabric maintainers
description:
  - Takes the list of resource pools of the RDMA shared device plugin, written with the plugin's own
    key names (C(resourceName), C(resourcePrefix), C(rdmaHcaMax), C(selectors) or C(devices)), checks
    every value the plugin or the kubelet would refuse or silently ignore, and returns the
    C(config.json) document the plugin reads.
  - Errors name the variable path, for example C(rdma_shared_dp_resources[1].rdmaHcaMax).
  - Empty selector lists are dropped (the plugin ignores them); selectors that are all empty are an error.
positional: periodic_update_interval, variable
options:
  _input:
    description: The resource pools (C(configList) entries).
    type: list
    elements: dict
    required: true
  periodic_update_interval:
    description:
      - Seconds between rescans of the host devices; C(0) disables rescans; V(null) leaves the key out
        (the plugin then uses 60).
    type: int
  variable:
    description: The variable name used in error messages.
    type: str
    default: rdma_shared_dp_resources
"""

EXAMPLES = r"""
- name: Render the plugin configuration
  ansible.builtin.set_fact:
    config: >-
      {{ [{'resourceName': 'hca_shared_devices', 'rdmaHcaMax': 1000,
           'selectors': {'vendors': ['15b3'], 'linkTypes': ['infiniband']}}]
         | rdmaops.fabric.rdma_shared_dp_config(300) }}
    # {"periodicUpdateInterval": 300, "configList": [{"resourceName": "hca_shared_devices",
    #  "rdmaHcaMax": 1000, "selectors": {"vendors": ["15b3"], "linkTypes": ["infiniband"]}}]}
"""

RETURN = r"""
_value:
  description: The plugin configuration (C(periodicUpdateInterval) when set, and C(configList)).
  type: dict
"""

from ansible_collections.rdmaops.fabric.plugins.plugin_utils._device_plugins import (
    DRIVER_RE,
    HEX_ID_RE,
    IFNAME_RE,
    as_dict,
    as_int,
    check_keys,
    fail,
    resource_name,
    resource_prefix,
    string_list,
)

RESOURCE_KEYS = ("resourceName", "resourcePrefix", "rdmaHcaMax", "selectors", "devices")
# Upper bound of rdmaHcaMax: every slot is one device in the plugin's ListAndWatch answer and
# in the kubelet's checkpoint; 10000 is ten times the upstream examples.
RDMA_HCA_MAX = 10000
# Selector key -> (pattern, description). Order is the plugin's (pkg/types/types.go Selectors).
SELECTORS = {
    "vendors": (HEX_ID_RE, "a PCI vendor id of 4 lower-case hex digits, e.g. 15b3"),
    "deviceIDs": (HEX_ID_RE, "a PCI device id of 4 lower-case hex digits, e.g. 101b"),
    "drivers": (DRIVER_RE, "a kernel driver name, e.g. mlx5_core"),
    "ifNames": (IFNAME_RE, "a network interface name (1-15 characters, no '/', ':' or blanks)"),
    # Link types as netlink reports them (the plugin compares with the net device's encap
    # type): "eth" or "ib" would match nothing.
    "linkTypes": (("ether", "infiniband"), "ether or infiniband (not eth / ib)"),
}


def _selectors(path, value):
    value = as_dict(path, value)
    check_keys(path, value, tuple(SELECTORS))
    out = {}
    for key, (pattern, what) in SELECTORS.items():
        items = string_list(f"{path}.{key}", value.get(key), pattern, what)
        if items:
            out[key] = items
    return out


def rdma_shared_dp_config(resources, periodic_update_interval=None, variable="rdma_shared_dp_resources"):
    """Validate the resource pools and return the plugin's config.json document."""
    if not isinstance(resources, (list, tuple)) or isinstance(resources, str):
        fail(variable, "must be a list of resource pools", resources)
    if not resources:
        fail(variable, "must define at least one resource pool (the plugin exits without one)", show_value=False)
    config = {}
    if periodic_update_interval is not None:
        config["periodicUpdateInterval"] = as_int(
            "rdma_shared_dp_periodic_update_interval", periodic_update_interval, minimum=0
        )
    config_list = []
    seen = {}
    for index, item in enumerate(resources):
        path = f"{variable}[{index}]"
        as_dict(path, item)
        check_keys(path, item, RESOURCE_KEYS, required=("resourceName", "rdmaHcaMax"))
        entry = {"resourceName": resource_name(f"{path}.resourceName", item["resourceName"])}
        # The plugin keys uniqueness on the name alone, whatever the prefix.
        if entry["resourceName"] in seen:
            fail(
                f"{path}.resourceName",
                f"duplicates {variable}[{seen[entry['resourceName']]}].resourceName",
                entry["resourceName"],
            )
        seen[entry["resourceName"]] = index
        if item.get("resourcePrefix") is not None:
            entry["resourcePrefix"] = resource_prefix(f"{path}.resourcePrefix", item["resourcePrefix"])
        entry["rdmaHcaMax"] = as_int(f"{path}.rdmaHcaMax", item["rdmaHcaMax"], minimum=1, maximum=RDMA_HCA_MAX)
        selectors = _selectors(f"{path}.selectors", item["selectors"]) if item.get("selectors") is not None else {}
        devices = string_list(f"{path}.devices", item.get("devices"), IFNAME_RE, "a network interface name")
        if selectors and devices:
            fail(path, "sets both selectors and devices; the plugin refuses that, use selectors only", show_value=False)
        if not selectors and not devices:
            fail(
                f"{path}.selectors",
                f"must select devices: give at least one non-empty selector ({', '.join(SELECTORS)}) or devices",
                item.get("selectors"),
            )
        if selectors:
            entry["selectors"] = selectors
        else:
            entry["devices"] = devices
        config_list.append(entry)
    config["configList"] = config_list
    return config


class FilterModule:
    def filters(self):
        return {"rdma_shared_dp_config": rdma_shared_dp_config}
