# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: nad_cni_config
short_description: Render the CNI configuration of a network attachment
version_added: 0.1.0
author: rdmaops.fabric maintainers
description:
  - Returns the CNI configuration (the C(spec.config) of a NetworkAttachmentDefinition) of one network
    as the rdmaops.fabric.networks role takes it. Validate the networks with
    P(rdmaops.fabric.network_errors#filter) first; this filter assumes valid input.
  - macvlan and ipvlan get C(master), C(mode) (default C(bridge) / C(l2)) and C(mtu); host-device gets
    C(device) from C(master); sriov gets C(vlan) and, with C(rdma_isolation), a chained C(rdma) plugin;
    ib-sriov gets C(rdmaIsolation).
  - whereabouts IPAM always carries C(enable_overlapping_ranges) explicitly (whereabouts defaults it
    to true when absent); host-local IPAM is written as C(ranges) with C(subnet), C(rangeStart),
    C(rangeEnd), C(gateway).
positional: cni_version
options:
  _input:
    description: One network.
    type: dict
    required: true
  cni_version:
    description: The C(cniVersion) of the configuration.
    type: str
    default: 0.3.1
"""

EXAMPLES = r"""
- name: CNI configuration of a macvlan network with whereabouts
  ansible.builtin.debug:
    msg: >-
      {{ {'name': 'rdma-net', 'type': 'macvlan', 'master': 'ens1f0',
          'ipam': {'type': 'whereabouts', 'range': '192.168.10.0/24'}} | rdmaops.fabric.nad_cni_config }}
    # {"cniVersion": "0.3.1", "name": "rdma-net", "type": "macvlan", "master": "ens1f0", "mode": "bridge",
    #  "ipam": {"type": "whereabouts", "range": "192.168.10.0/24", "enable_overlapping_ranges": false}}
"""

RETURN = r"""
_value:
  description: The CNI configuration (a single plugin, or a C(plugins) list when plugins are chained).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.rdmaops.fabric.plugins.plugin_utils._network import TYPES, cni_config


def nad_cni_config(network, cni_version="0.3.1"):
    if not isinstance(network, dict) or network.get("type") not in TYPES or not network.get("name"):
        raise AnsibleFilterError(
            "nad_cni_config: input must be a valid network (validate with rdmaops.fabric.network_errors first)"
        )
    return cni_config(network, cni_version)


class FilterModule:
    def filters(self):
        return {"nad_cni_config": nad_cni_config}
