# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: network_errors
short_description: Validate network attachments (NetworkAttachmentDefinitions) with netaddr
version_added: 0.1.0
author: rdmaops.fabric maintainers
description:
  - Checks a list of network attachments as the rdmaops.fabric.networks role takes them and returns
    every problem as a list of error strings, each naming the variable path that holds the bad value
    (for example C(networks_list[1].ipam.gateway)). An empty list means the networks are valid.
  - Names valid as Kubernetes names, unique per namespace; C(type) one of macvlan, ipvlan, host-device,
    sriov, ib-sriov; C(master) or C(resource) as the type needs; C(mode), C(mtu), C(vlan) only where the
    CNI plugin supports them.
  - IPAM (whereabouts or host-local) - C(range) a CIDR without host bits, C(range_start)/C(range_end)
    and the C(gateway) inside it, the gateway outside the allocation range (or excluded), C(exclude)
    and route gateways inside the subnet.
  - Across networks - whereabouts allocation ranges that share addresses are refused unless both set
    C(enable_overlapping_ranges), use the same range (one shared IPPool) or a different C(network_name).
  - macvlan, ipvlan and sriov on an InfiniBand link are refused (they cannot sit on IPoIB), as is
    ib-sriov on Ethernet. The link type comes from the network's C(link_type), else from O(link_types),
    else from the interface name (IPoIB devices are named C(ib*)).
  - Needs the Python library netaddr on the controller.
positional: variable, link_types, default_namespace
options:
  _input:
    description: The networks.
    type: list
    elements: dict
    required: true
  variable:
    description: The variable that holds the networks, used in the error strings.
    type: str
    default: networks_list
  link_types:
    description: Interface name to link layer (C(ethernet) or C(infiniband); C(eth) and C(ib) are accepted).
    type: dict
    default: {}
  default_namespace:
    description: The namespace of networks without one (for the uniqueness check).
    type: str
    default: default
"""

EXAMPLES = r"""
- name: Refuse bad networks before any API write, reporting all problems at once
  ansible.builtin.assert:
    that: __errors | length == 0
    fail_msg: "{{ __errors }}"
  vars:
    __errors: "{{ networks_list | rdmaops.fabric.network_errors('networks_list') }}"
"""

RETURN = r"""
_value:
  description: Error strings, empty when every network is valid.
  type: list
  elements: str
"""

from ansible_collections.rdmaops.fabric.plugins.plugin_utils._network import network_errors as _network_errors


def network_errors(networks, variable="networks_list", link_types=None, default_namespace="default"):
    return _network_errors(networks, variable, link_types or {}, default_namespace)


class FilterModule:
    def filters(self):
        return {"network_errors": network_errors}
