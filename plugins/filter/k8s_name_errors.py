# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: k8s_name_errors
short_description: Check that a value is a valid Kubernetes object name
version_added: 0.1.0
author: rdmaops.fabric maintainers
description:
  - Returns a list of error strings (empty when the name is valid) so that a preflight can collect
    every problem before it fails. Each error starts with the variable name given.
  - C(label) is a DNS-1123 label (namespaces, most names; at most 63 characters), C(subdomain) a
    DNS-1123 subdomain (ConfigMaps, NetworkAttachmentDefinitions; at most 253 characters).
positional: variable, kind
options:
  _input:
    description: The name to check.
    type: raw
    required: true
  variable:
    description: The variable that holds the name, used in the error strings.
    type: str
    default: name
  kind:
    description: Which rule applies.
    type: str
    choices: [label, subdomain]
    default: subdomain
"""

EXAMPLES = r"""
- name: Check the namespace
  ansible.builtin.assert:
    that: __errors | length == 0
    fail_msg: "{{ __errors }}"
  vars:
    __errors: "{{ multus_namespace | rdmaops.fabric.k8s_name_errors('multus_namespace', 'label') }}"
"""

RETURN = r"""
_value:
  description: Error strings, empty when the name is valid.
  type: list
  elements: str
"""

from ansible_collections.rdmaops.fabric.plugins.plugin_utils._network import k8s_name_errors as _k8s_name_errors


def k8s_name_errors(value, variable="name", kind="subdomain"):
    return _k8s_name_errors(value, variable, kind)


class FilterModule:
    def filters(self):
        return {"k8s_name_errors": k8s_name_errors}
