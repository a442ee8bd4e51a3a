# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Validation helpers shared by the device-plugin config filters (rdma_shared_dp, sriov_dp).

Every check raises AnsibleFilterError with the inventory variable path that holds the bad value
(``rdma_shared_dp_resources[1].rdmaHcaMax``), so the user knows what to fix without reading code.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

# PCI vendor / device ids as the plugins compare them: four lower-case hex digits. ghw and
# sysfs report lower case, so "15B3" would silently match nothing.
HEX_ID_RE = re.compile(r"^[0-9a-f]{4}$")
# Kernel driver names (mlx5_core, mlx5_ib, vfio-pci).
DRIVER_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Linux interface names: 1-15 bytes, no '/', ':', whitespace (dev_valid_name in net/core/dev.c).
IFNAME_RE = re.compile(r"^[^/:\s]{1,15}$")
# The name part of a Kubernetes extended resource (a qualified name) that both plugins also
# accept: letters, digits and '_' (k8s-rdma-shared-dev-plugin validResourceName), starting and
# ending with a letter or digit, at most 63 characters.
RESOURCE_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_]{0,61}[A-Za-z0-9])?$")
# The prefix of an extended resource: a DNS-1123 subdomain (the kubelet refuses anything else
# when the plugin registers, e.g. the README example "example_prefix").
DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
DNS_SUBDOMAIN_RE = re.compile(rf"^{DNS_LABEL}(?:\.{DNS_LABEL})*$")
PCI_ADDRESS_RE = re.compile(r"^(?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")


def fail(path, problem, value=None, show_value=True):
    """Raise the one error type of these filters, naming the variable path."""
    msg = f"{path}: {problem}"
    if show_value:
        msg += f" (got {value!r})"
    raise AnsibleFilterError(msg)


def as_int(path, value, minimum=None, maximum=None):
    """An integer (or a string of digits, as -e gives), within [minimum, maximum]."""
    if isinstance(value, bool):
        fail(path, "must be an integer, not a boolean", value)
    if isinstance(value, str) and re.match(r"^-?[0-9]+$", value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        fail(path, "must be an integer", value)
    if minimum is not None and value < minimum:
        fail(path, f"must be >= {minimum}", value)
    if maximum is not None and value > maximum:
        fail(path, f"must be <= {maximum}", value)
    return value


def as_bool(path, value):
    if isinstance(value, bool):
        return value
    fail(path, "must be a boolean (true or false)", value)
    return None  # pragma: no cover - fail() raises


def as_dict(path, value):
    if not isinstance(value, dict):
        fail(path, "must be a dictionary", value)
    return value


def check_keys(path, item, allowed, required=()):
    """Refuse unknown keys (a typo such as ``rdmaHCAMax`` would otherwise be dropped silently)."""
    unknown = sorted(str(k) for k in item if k not in allowed)
    if unknown:
        fail(path, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}", show_value=False)
    for key in required:
        if item.get(key) is None:
            fail(f"{path}.{key}", "is required", show_value=False)


def string_list(path, value, pattern, what):
    """A list of strings, each matching pattern (or one of a tuple of choices); a bare string is refused."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        fail(path, f"must be a list of {what}", value)
    out = []
    for i, element in enumerate(value):
        ok = isinstance(element, str) and (
            element in pattern if isinstance(pattern, tuple) else bool(pattern.match(element))
        )
        if not ok:
            fail(f"{path}[{i}]", f"must be {what}", element)
        out.append(element)
    if len(set(out)) != len(out):
        fail(path, "has duplicate entries", value)
    return out


def resource_name(path, value):
    if not isinstance(value, str) or not RESOURCE_NAME_RE.match(value):
        fail(
            path,
            "must be 1-63 letters, digits or '_', starting and ending with a letter or digit "
            "(the device plugin and the kubelet refuse other names)",
            value,
        )
    return value


def resource_prefix(path, value):
    if (
        not isinstance(value, str)
        or len(value) > 253
        or not DNS_SUBDOMAIN_RE.match(value)
        or value == "kubernetes.io"
        or value.endswith(".kubernetes.io")
    ):
        fail(
            path,
            "must be a DNS subdomain outside kubernetes.io (lower-case letters, digits, '-' and '.'; "
            "the kubelet refuses extended resources with any other prefix, e.g. one with '_')",
            value,
        )
    return value
