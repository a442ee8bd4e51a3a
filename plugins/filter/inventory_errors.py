# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: inventory_errors
short_description: Every problem of a whole rdmaops.fabric inventory, before any change
version_added: 0.1.0
author: rdmaops.fabric maintainers
description:
  - Takes the inventory variables of every host and returns every problem it finds as a list of strings,
    so that C(playbooks/preflight.yml) can fail once with all of them instead of one role failing on the
    first. Each string names the host (or C(cluster [<host>]) for the cluster roles' variables, or the
    OpenSM fabric), the variable, the bad value and the allowed values. An empty list means no problem.
  - Values the inventory does not set are the roles' defaults (C(roles/*/defaults/main.yml)).
  - Host layer, for every host of C(rdma_nodes) - C(netns_mode_netns); C(mofed_state), C(mofed_source) and
    what C(mlnx_ofed) needs; C(sriov_firmware_state) and every C(sriov_firmware_nics) entry (known keys,
    exactly one of C(pci), C(netdev), C(device_id), C(num_vfs) an integer from 0 to 127, C(link_type)
    C(eth) or C(ib)); C(rdma_shared_dp_enabled) and C(sriov_dp_enabled) booleans; for hosts of
    C(opensm_nodes) C(opensm_state) and C(opensm_priority) (0-15), and distinct priorities per
    C(opensm_fabric) (one master per fabric) as the opensm role assigns them.
  - Collection-wide - C(rdmaops_serial) (a count, a percentage or a list of them),
    C(rdmaops_max_fail_percentage) (0-100), C(rdmaops_cordon_label) (a label key),
    C(rdmaops_skip_converged_hosts) (a boolean), C(rdmaops_converged_record) (an absolute path),
    C(rdmaops_cluster_roles), C(rdmaops_k8s_node_name) (a Kubernetes node name, one per host).
  - Cluster layer, with the variables of O(cluster_host) - the C(*_state) of the cluster roles, the network
    attachments (rdmaops.fabric.network_errors), C(rdma_shared_dp_resources) and C(sriov_dp_resources)
    with the hosts' C(sriov_firmware_nics) (the validators of rdmaops.fabric.rdma_shared_dp_config and
    rdmaops.fabric.sriov_dp_config).
  - Across layers - exclusive RDMA netns on a host where the RDMA shared device plugin would run; an RDMA
    SR-IOV pool on a host that is not in exclusive mode; a macvlan or ipvlan network whose master is an
    InfiniBand port of a host (C(sriov_firmware_nics) entry with that C(netdev) and C(link_type) C(ib));
    SR-IOV networks whose resource is not a C(sriov_dp_resources) pool, is a pool of the other link type,
    or gets VFs on no host (no C(num_vfs) > 0 on a port of its link type); hosts that enable
    C(sriov_dp_enabled) without any VF; networks on a shared device plugin resource that no host runs;
    OpenSM hosts outside C(rdma_nodes).
  - Kubernetes node names - with O(k8s_nodes), every host of C(k8s_cluster) that the collection names as a
    node (hosts of C(rdma_nodes) and of the device plugins' host groups) must be a Node of the API; an API
    that could not be read is a problem too.
  - With O(uninstall), the cluster and host roles are taken as C(state=absent), so the checks that only
    matter when deploying (cross-layer conflicts, networks, device plugin pools, Nodes that are gone) are
    left out.
positional: groups, cluster_host, k8s_nodes, uninstall
options:
  _input:
    description:
      - Host name to that host's inventory variables (C(hostvars) works as it is; values are templated
        when they are read, and a value that cannot be templated is reported as a problem).
    type: dict
    required: true
  groups:
    description: The inventory groups (C(groups)).
    type: dict
    required: true
  cluster_host:
    description: The host whose variables the cluster roles see (the first C(kube_control_plane) host).
    type: str
    default: localhost
  k8s_nodes:
    description:
      - The registered result of one C(kubernetes.core.k8s_info) call for C(kind=Node), or a list of node
        names. V(null) or a skipped result leaves the node names unchecked. A result without C(resources)
        (a failure, an unreachable host) is reported as an unreachable API.
    type: raw
  uninstall:
    description: Check the inventory for C(playbooks/uninstall.yml) (every role C(state=absent)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Fail once with every problem of the inventory
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems }}"
  vars:
    __problems: >-
      {{ hostvars | rdmaops.fabric.inventory_errors(groups, groups['kube_control_plane'][0], __nodes) }}
"""

RETURN = r"""
_value:
  description: Problem strings, each naming where, the variable, the value and what is allowed; empty when none.
  type: list
  elements: str
"""

import copy
import re
from collections.abc import Mapping

from ansible.errors import AnsibleError
from ansible_collections.rdmaops.fabric.plugins.filter.rdma_shared_dp_config import rdma_shared_dp_config
from ansible_collections.rdmaops.fabric.plugins.filter.sriov_dp_config import sriov_dp_config
from ansible_collections.rdmaops.fabric.plugins.plugin_utils._device_plugins import IFNAME_RE, PCI_ADDRESS_RE
from ansible_collections.rdmaops.fabric.plugins.plugin_utils._network import (
    _link_type,
    k8s_name_errors,
    network_errors,
)

# The role defaults these checks rely on, as in roles/<role>/defaults/main.yml (a unit test keeps
# them equal). A value the inventory does not set is this one.
ROLE_DEFAULTS = {
    "netns_mode_netns": "shared",
    "mofed_state": "present",
    "mofed_source": "inbox",
    "mofed_version": "",
    "mofed_mlnx_ofed_src": "",
    "mofed_mlnx_ofed_sha256": "",
    "sriov_firmware_state": "present",
    "sriov_firmware_nics": [],
    "opensm_state": "present",
    "opensm_nodes_group": "opensm_nodes",
    "opensm_fabric": "default",
    "opensm_priority": None,
    "multus_state": "present",
    "whereabouts_state": "present",
    "rdma_shared_dp_state": "present",
    "rdma_shared_dp_enabled": True,
    "rdma_shared_dp_host_group": "rdma_nodes",
    "rdma_shared_dp_resources": [
        {"resourceName": "hca_shared_devices", "rdmaHcaMax": 1000, "selectors": {"vendors": ["15b3"]}}
    ],
    "rdma_shared_dp_periodic_update_interval": 300,
    "sriov_dp_state": "present",
    "sriov_dp_enabled": True,
    "sriov_dp_host_group": "rdma_nodes",
    "sriov_dp_resources": [
        {"resourceName": "mlnx_ib_vf", "linkType": "ib"},
        {"resourceName": "mlnx_sriov_rdma", "linkType": "eth"},
    ],
    "sriov_dp_resource_prefix": "nvidia.com",
    "sriov_dp_require_exclusive_netns": True,
    "networks_state": "present",
    "networks_link_types": {},
    "networks_default_namespace": "default",
}
# Defaults of the playbooks (site.yml, hosts.yml, cluster.yml).
PLAYBOOK_DEFAULTS = {
    "rdmaops_cluster_roles": ["multus", "whereabouts", "rdma_shared_dp", "sriov_dp", "networks"],
    "rdmaops_serial": "100%",
    "rdmaops_max_fail_percentage": 0,
    "rdmaops_cordon_label": "rdmaops.fabric/cordoned",
    "rdmaops_skip_converged_hosts": True,
    "rdmaops_converged_record": "/var/lib/rdmaops/converged.json",
}
CLUSTER_ROLES = tuple(PLAYBOOK_DEFAULTS["rdmaops_cluster_roles"])
STATES = ("present", "absent")
NETNS_MODES = ("shared", "exclusive")
MOFED_SOURCES = ("inbox", "doca", "mlnx_ofed")
LINK_TYPES = ("eth", "ib")
NIC_SELECTORS = ("pci", "netdev", "device_id")
NIC_KEYS = (*NIC_SELECTORS, "num_vfs", "link_type", "params", "allow_dpu_mode", "vfs")
# NUM_OF_VFS of ConnectX firmware goes up to 127 on most cards; the role's query checks the real
# maximum of each NIC (sriov_totalvfs) on the host.
MAX_VFS = 127
SM_PRIORITY_MAX = 15
DEVICE_ID_RE = re.compile(r"^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$")
SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")
SERIAL_RE = re.compile(r"^\s*([0-9]+)\s*(%?)\s*$")
BOOL_STRINGS = ("true", "false", "yes", "no")
_UNSET = object()


def _plain(value):
    """A copy made of plain Python types (no templating wrappers or tagged strings)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _show(value):
    return repr(_plain(value))


def _bad(where, variable, value, allowed, why=""):
    """The one shape of a problem: where, variable, value, allowed values (and why, when it helps)."""
    text = f"{where}: {variable} is {_show(value)}; allowed: {allowed}"
    return f"{text} ({why})" if why else text


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_bool(value):
    return isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in BOOL_STRINGS)


def _truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes")
    return bool(value)


class _Vars:
    """The variables of one host: the inventory's over the defaults. A value that cannot be
    templated becomes a problem once, and the default stands in for it."""

    def __init__(self, where, inventory_vars, problems):
        self.where = where
        self.raw = inventory_vars if isinstance(inventory_vars, Mapping) else {}
        self.problems = problems
        self.cache = {}

    def is_set(self, name):
        return name in self.raw

    def __getitem__(self, name):
        if name not in self.cache:
            value = _UNSET
            if name in self.raw:
                try:
                    value = _plain(self.raw[name])
                except AnsibleError as exc:
                    self.problems.append(f"{self.where}: {name} cannot be evaluated: {exc}")
            if value is _UNSET:
                value = copy.deepcopy(ROLE_DEFAULTS.get(name, PLAYBOOK_DEFAULTS.get(name)))
            self.cache[name] = value
        return self.cache[name]


def _choice(problems, v, name, choices):
    if v[name] not in choices:
        problems.append(_bad(v.where, name, v[name], ", ".join(choices)))
        return False
    return True


def _nic_errors(where, nics):
    """Problems of one host's sriov_firmware_nics, and the entries that are valid."""
    variable = "sriov_firmware_nics"
    if not isinstance(nics, list):
        return [_bad(where, variable, nics, "a list of NIC entries (pci, netdev or device_id; num_vfs, link_type)")], []
    problems, valid = [], []
    for index, nic in enumerate(nics):
        path = f"{variable}[{index}]"
        if not isinstance(nic, dict):
            problems.append(_bad(where, path, nic, f"a mapping with one of {', '.join(NIC_SELECTORS)}"))
            continue
        before = len(problems)
        unknown = sorted(str(k) for k in nic if k not in NIC_KEYS)
        if unknown:
            problems.append(_bad(where, f"{path} key(s)", unknown, ", ".join(NIC_KEYS)))
        given = [k for k in NIC_SELECTORS if nic.get(k) not in (None, "")]
        if len(given) != 1:
            problems.append(
                _bad(
                    where,
                    f"{path} selector",
                    given,
                    f"exactly one of {', '.join(NIC_SELECTORS)}",
                    "it says which physical functions the entry configures",
                )
            )
        pci, netdev, device_id = nic.get("pci"), nic.get("netdev"), nic.get("device_id")
        if pci not in (None, "") and not (isinstance(pci, str) and PCI_ADDRESS_RE.match(pci.lower())):
            problems.append(_bad(where, f"{path}.pci", pci, "a PCI address such as 0000:3b:00.0 or 3b:00.0"))
        if netdev not in (None, "") and not (isinstance(netdev, str) and IFNAME_RE.match(netdev)):
            problems.append(_bad(where, f"{path}.netdev", netdev, "a network interface name of 1-15 characters"))
        if device_id not in (None, "") and not (isinstance(device_id, str) and DEVICE_ID_RE.match(device_id)):
            problems.append(_bad(where, f"{path}.device_id", device_id, "vendor:device in hex, such as 15b3:101b"))
        num_vfs = nic.get("num_vfs")
        if num_vfs is not None and not (_is_int(num_vfs) and 0 <= num_vfs <= MAX_VFS):
            problems.append(
                _bad(
                    where,
                    f"{path}.num_vfs",
                    num_vfs,
                    f"an integer from 0 (SR-IOV off) to {MAX_VFS}",
                    "the firmware NUM_OF_VFS; the role checks the NIC's own maximum",
                )
            )
        link_type = nic.get("link_type")
        if link_type is not None and not (
            (isinstance(link_type, str) and link_type in LINK_TYPES)
            or (isinstance(link_type, list) and link_type and all(p in LINK_TYPES for p in link_type))
        ):
            problems.append(_bad(where, f"{path}.link_type", link_type, "eth or ib, or a list of them per port"))
        if num_vfs is None and link_type is None and not nic.get("params"):
            problems.append(_bad(where, path, nic, "an entry that sets num_vfs, link_type or params"))
        if len(problems) == before:
            valid.append(nic)
    return problems, valid


def _serial_ok(value):
    values = value if isinstance(value, list) and value else [value]
    for item in values:
        if _is_int(item):
            if item < 1:
                return False
            continue
        match = SERIAL_RE.match(item) if isinstance(item, str) else None
        if not match:
            return False
        number = int(match.group(1))
        if number < 1 or (match.group(2) and number > 100):
            return False
    return True


# A Kubernetes label key: an optional DNS-subdomain prefix and "/", then a name of 1-63 characters.
LABEL_PREFIX_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME_RE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


def _label_key_ok(value):
    if not isinstance(value, str):
        return False
    prefix, slash, name = value.rpartition("/")
    if slash and not (len(prefix) <= 253 and LABEL_PREFIX_RE.match(prefix)):
        return False
    return len(name) <= 63 and bool(LABEL_NAME_RE.match(name))


def _absolute_file_ok(value):
    return isinstance(value, str) and value.startswith("/") and not value.endswith("/") and "\n" not in value


def _percentage_ok(value):
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return _is_int(value) and 0 <= value <= 100


def _host_problems(v, in_sm_group):
    """Types and ranges of one RDMA host's host-role inputs."""
    problems = []
    _choice(problems, v, "netns_mode_netns", NETNS_MODES)
    _choice(problems, v, "mofed_state", STATES)
    source_ok = _choice(problems, v, "mofed_source", MOFED_SOURCES)
    if source_ok and v["mofed_source"] == "mlnx_ofed" and v["mofed_state"] == "present":
        # The three inputs an MLNX_OFED install needs.
        for name, ok, allowed in (
            ("mofed_version", bool(str(v["mofed_version"] or "")), "the exact version ofed_info -s prints"),
            ("mofed_mlnx_ofed_src", bool(v["mofed_mlnx_ofed_src"]), "the URL or path of the MLNX_OFED archive"),
            (
                "mofed_mlnx_ofed_sha256",
                isinstance(v["mofed_mlnx_ofed_sha256"], str) and bool(SHA256_RE.match(v["mofed_mlnx_ofed_sha256"])),
                "the 64 hex digits of the archive's sha256",
            ),
        ):
            if not ok:
                problems.append(_bad(v.where, name, v[name], allowed, "mofed_source mlnx_ofed needs it"))
    _choice(problems, v, "sriov_firmware_state", STATES)
    nic_problems, valid_nics = _nic_errors(v.where, v["sriov_firmware_nics"])
    problems.extend(nic_problems)
    for name in ("rdma_shared_dp_enabled", "sriov_dp_enabled"):
        if not _is_bool(v[name]):
            problems.append(_bad(v.where, name, v[name], "true, false"))
    if in_sm_group:
        _choice(problems, v, "opensm_state", STATES)
        priority = v["opensm_priority"]
        if priority is not None and not (_is_int(priority) and 0 <= priority <= SM_PRIORITY_MAX):
            problems.append(
                _bad(
                    v.where,
                    "opensm_priority",
                    priority,
                    f"an integer from 0 to {SM_PRIORITY_MAX} (the master has the highest), or null",
                )
            )
        if not (isinstance(v["opensm_fabric"], str) and v["opensm_fabric"]):
            problems.append(_bad(v.where, "opensm_fabric", v["opensm_fabric"], "a non-empty fabric name"))
    return problems, valid_nics


def _sm_priority_problems(sm_hosts, host_vars, groups):
    """Distinct sm_priority per fabric, assigned as the opensm role does (explicit, else 15, 14, ...
    in the order of opensm_nodes_group among the hosts of the same fabric)."""
    fabrics = {}
    for host in sm_hosts:
        v = host_vars[host]
        fabric = v["opensm_fabric"]
        group = list(groups.get(v["opensm_nodes_group"]) or [])
        if host not in group:
            group.append(host)
        same_fabric = [h for h in group if (host_vars[h]["opensm_fabric"] if h in host_vars else "default") == fabric]
        explicit = v["opensm_priority"]
        if explicit is not None and not (_is_int(explicit) and 0 <= explicit <= SM_PRIORITY_MAX):
            continue  # reported with the host
        priority = explicit if explicit is not None else SM_PRIORITY_MAX - same_fabric.index(host)
        fabrics.setdefault(str(fabric), {})[host] = priority
    problems = []
    for fabric, priorities in fabrics.items():
        by_priority = {}
        for host, priority in priorities.items():
            by_priority.setdefault(priority, []).append(host)
        for priority, hosts in sorted(by_priority.items(), reverse=True):
            where = f"opensm fabric {fabric!r}"
            if priority < 0:
                problems.append(
                    _bad(
                        where,
                        "opensm_priority",
                        None,
                        f"explicit priorities 0-{SM_PRIORITY_MAX}",
                        f"{', '.join(hosts)} get no priority: more than 16 SM hosts to number",
                    )
                )
            elif len(hosts) > 1:
                problems.append(
                    _bad(
                        where,
                        "opensm_priority",
                        priority,
                        f"a distinct opensm_priority from 0 to {SM_PRIORITY_MAX} per SM host of a fabric (the highest "
                        "is the one master), or opensm_priority unset on all of them (15, 14, ... in group order)",
                        f"{' and '.join(hosts)} would all run with sm_priority {priority} and fight over mastership",
                    )
                )
    return problems


def _global_problems(host_vars, hosts):
    """Collection-wide variables, each distinct bad value reported once with the hosts that have it."""
    problems = []
    checks = (
        ("rdmaops_serial", _serial_ok, "a host count >= 1, a percentage 1%-100%, or a list of them"),
        ("rdmaops_max_fail_percentage", _percentage_ok, "an integer from 0 to 100"),
        (
            "rdmaops_cordon_label",
            _label_key_ok,
            "a Kubernetes label key: [DNS-subdomain prefix/]name, the name 1-63 of [A-Za-z0-9-_.]",
        ),
        ("rdmaops_skip_converged_hosts", _is_bool, "true or false"),
        ("rdmaops_converged_record", _absolute_file_ok, "an absolute file path on the host"),
    )
    for name, ok, allowed in checks:
        bad = {}
        for host in hosts:
            value = host_vars[host][name]
            if not ok(value):
                bad.setdefault(_show(value), (value, []))[1].append(host)
        for value, owners in bad.values():
            problems.append(_bad(", ".join(owners), name, value, allowed))
    return problems


def _pool_name(pool, default_prefix):
    if not isinstance(pool, dict):
        return None
    return f"{pool.get('resourcePrefix') or default_prefix}/{pool.get('resourceName')}"


class _Checker:
    def __init__(self, hostvars, groups, cluster_host, k8s_nodes, uninstall):
        self.problems = []
        self.groups = {str(k): [str(h) for h in (v or [])] for k, v in (groups or {}).items()}
        self.cluster_host = str(cluster_host)
        self.uninstall = bool(uninstall)
        self.k8s_nodes = k8s_nodes
        self.rdma_hosts = self.groups.get("rdma_nodes", [])
        self.sm_group = self.groups.get("opensm_nodes", [])
        self.hostvars = hostvars if isinstance(hostvars, Mapping) else {}
        self.vars = {}
        self.valid_nics = {}
        # Not .get(): ansible's hostvars answers an unknown host with an undefined marker, not a KeyError.
        cluster_raw = self.hostvars[self.cluster_host] if self.cluster_host in self.hostvars else {}  # noqa: SIM401
        self.cluster = _Vars(f"cluster [{self.cluster_host}]", cluster_raw, self.problems)

    def host(self, name):
        if name not in self.vars:
            raw = self.hostvars[name] if name in self.hostvars else {}  # noqa: SIM401 (see __init__)
            self.vars[name] = _Vars(name, raw, self.problems)
        return self.vars[name]

    def run(self):
        for host in self.rdma_hosts:
            host_problems, self.valid_nics[host] = _host_problems(self.host(host), host in self.sm_group)
            self.problems.extend(host_problems)
        for host in self.sm_group:
            if host not in self.rdma_hosts:
                self.problems.append(
                    _bad(
                        host,
                        "group membership",
                        "opensm_nodes",
                        "hosts of opensm_nodes that are also in rdma_nodes",
                        "playbooks/hosts.yml runs OpenSM only on rdma_nodes, so this host would get no SM",
                    )
                )
        sm_hosts = [h for h in self.sm_group if h in self.rdma_hosts and self.host(h)["opensm_state"] == "present"]
        if not self.uninstall:
            self.problems.extend(
                _sm_priority_problems(sm_hosts, {h: self.host(h) for h in self.rdma_hosts}, self.groups)
            )
        everyone = [*self.rdma_hosts, *([self.cluster_host] if self.cluster_host not in self.rdma_hosts else [])]
        self.problems.extend(
            _global_problems({**{h: self.host(h) for h in self.rdma_hosts}, self.cluster_host: self.cluster}, everyone)
        )
        self.node_names()
        roles = self.cluster_roles()
        if not self.uninstall:
            self.cluster_layer(roles)
        self.k8s_node_check()
        return self.problems

    # ---------------------------------------------------------------- node names
    def node_hosts(self):
        """Hosts the collection names as Kubernetes nodes: k8s_cluster hosts among rdma_nodes and the
        device plugins' host groups."""
        k8s = set(self.groups.get("k8s_cluster", []))
        candidates = list(self.rdma_hosts)
        for group_var in ("rdma_shared_dp_host_group", "sriov_dp_host_group"):
            for host in self.groups.get(str(self.cluster[group_var]), []):
                if host not in candidates:
                    candidates.append(host)
        return [h for h in candidates if h in k8s]

    def node_name(self, host):
        v = self.host(host)
        return v["rdmaops_k8s_node_name"] if v.is_set("rdmaops_k8s_node_name") else host

    def node_names(self):
        seen = {}
        for host in self.node_hosts():
            name = self.node_name(host)
            errors = k8s_name_errors(name, "rdmaops_k8s_node_name")
            if errors:
                self.problems.extend(f"{host}: {e}" for e in errors)
                continue
            seen.setdefault(name, []).append(host)
        for name, hosts in seen.items():
            if len(hosts) > 1:
                self.problems.append(
                    _bad(
                        " and ".join(hosts),
                        "rdmaops_k8s_node_name",
                        name,
                        "one Kubernetes node name per host",
                        "the device plugins' per-node configs and the drains would mix them up",
                    )
                )

    def k8s_node_check(self):
        result = self.k8s_nodes
        if result is None:
            return
        if isinstance(result, Mapping) and result.get("skipped"):
            return
        if isinstance(result, Mapping):
            if "resources" not in result:
                self.problems.append(
                    _bad(
                        self.cluster.where,
                        "rdmaops_kubeconfig",
                        self.cluster["rdmaops_kubeconfig"],
                        "a kubeconfig of a reachable Kubernetes API, or rdmaops_kubeconfig undefined to skip "
                        "the cluster checks",
                        "the API could not be read, so the Kubernetes node names were not checked: "
                        + str(result.get("msg") or "no answer").strip().splitlines()[0][:300],
                    )
                )
                return
            names = [str((r.get("metadata") or {}).get("name")) for r in result["resources"] or []]
        else:
            names = [str(n) for n in result]
        if self.uninstall:
            return  # a host whose Node is already gone is still uninstalled
        for host in self.node_hosts():
            name = self.node_name(host)
            if isinstance(name, str) and name not in names:
                shown = ", ".join(sorted(names)[:20]) + (" ..." if len(names) > 20 else "")
                self.problems.append(
                    _bad(
                        host,
                        "rdmaops_k8s_node_name",
                        name,
                        f"the name of a Node of the API ({shown or 'the API has no Node'})",
                        (
                            ""
                            if self.host(host).is_set("rdmaops_k8s_node_name")
                            else "unset, it is the inventory hostname; "
                        )
                        + "the Kubernetes API has no Node of that name",
                    )
                )

    # ---------------------------------------------------------------- cluster layer
    def cluster_roles(self):
        roles = self.cluster["rdmaops_cluster_roles"]
        if not (
            isinstance(roles, list)
            and all(r in CLUSTER_ROLES for r in roles)
            and len(set(map(str, roles))) == len(roles)
        ):
            self.problems.append(
                _bad(
                    self.cluster.where,
                    "rdmaops_cluster_roles",
                    roles,
                    f"a list of distinct names out of {', '.join(CLUSTER_ROLES)}",
                )
            )
            roles = [r for r in roles if r in CLUSTER_ROLES] if isinstance(roles, list) else list(CLUSTER_ROLES)
        deployed = []
        for role in roles:
            if (
                _choice(self.problems, self.cluster, f"{role}_state", STATES)
                and self.cluster[f"{role}_state"] == "present"
            ):
                deployed.append(role)
        return deployed

    def cluster_layer(self, deployed):
        where = self.cluster.where
        c = self.cluster
        shared_group = self.groups.get(str(c["rdma_shared_dp_host_group"]), [])
        sriov_group = self.groups.get(str(c["sriov_dp_host_group"]), [])

        # Exclusive RDMA netns where the RDMA shared device plugin runs: the plugin exits in that mode.
        shared_hosts = []
        for host in self.rdma_hosts + [h for h in shared_group if h not in self.rdma_hosts]:
            v = self.host(host)
            enabled = _truthy(v["rdma_shared_dp_enabled"])
            runs_plugin = "rdma_shared_dp" in deployed and host in shared_group and enabled
            if v["netns_mode_netns"] == "exclusive" and (
                runs_plugin or (v.is_set("rdma_shared_dp_enabled") and enabled)
            ):
                self.problems.append(
                    _bad(
                        host,
                        "netns_mode_netns",
                        "exclusive",
                        "shared on a host where rdma_shared_dp_enabled is true (the default), or set "
                        "rdma_shared_dp_enabled: false there and give its pods SR-IOV VFs",
                        "the RDMA shared device plugin only works in shared RDMA netns mode",
                    )
                )
            elif runs_plugin:
                shared_hosts.append(host)

        # Pools are None when their own validator failed (reported): nothing is checked against them.
        shared_pools = {}
        if "rdma_shared_dp" in deployed:
            try:
                config = rdma_shared_dp_config(
                    c["rdma_shared_dp_resources"],
                    c["rdma_shared_dp_periodic_update_interval"],
                    "rdma_shared_dp_resources",
                )
                shared_pools = {_pool_name(p, "rdma"): p for p in config["configList"]}
            except AnsibleError as exc:
                self.problems.append(f"{where}: {exc.message}")
                shared_pools = None

        sriov_pools, pool_nodes = {}, {}
        if "sriov_dp" in deployed:
            sriov_pools, pool_nodes = self.sriov_layer(sriov_group)

        networks_var = "networks_list" if c.is_set("networks_list") else "rdma_networks"
        networks = c[networks_var] if c.is_set(networks_var) else []
        if "networks" in deployed:
            link_types = c["networks_link_types"]
            self.problems.extend(
                f"{where}: {e}"
                for e in network_errors(
                    networks,
                    networks_var,
                    link_types if isinstance(link_types, dict) else {},
                    str(c["networks_default_namespace"]),
                )
            )
            if isinstance(networks, list):
                self.network_cross_checks(
                    networks, networks_var, deployed, shared_pools, shared_hosts, sriov_pools, pool_nodes
                )

    def sriov_layer(self, sriov_group):
        """Reuse rdmaops.fabric.sriov_dp_config: pools, per-node configs; VFs vs netns mode."""
        c = self.cluster
        where = c.where
        prefix = c["sriov_dp_resource_prefix"]
        entries = []
        for host in sriov_group:
            v = self.host(host)
            if not _truthy(v["sriov_dp_enabled"]):
                continue
            nics = self.valid_nics.get(host)
            if nics is None:  # a host of the group outside rdma_nodes: checked here only
                nic_problems, nics = _nic_errors(host, v["sriov_firmware_nics"])
                self.problems.extend(nic_problems)
                self.valid_nics[host] = nics
            node = self.node_name(host)
            # A bad or shared node name is reported once, by node_names(); keep it out of here.
            if k8s_name_errors(node, "rdmaops_k8s_node_name") or node in {e["node"] for e in entries}:
                continue
            entries.append({"host": host, "node": node, "nics": nics})
        try:
            configs = sriov_dp_config(c["sriov_dp_resources"], entries, prefix, "sriov_dp_resources")
        except AnsibleError as exc:
            self.problems.append(f"{where}: {exc.message}")
            return None, {}
        pools = {_pool_name(p, prefix): p for p in c["sriov_dp_resources"]}
        node_host = {e["node"]: e["host"] for e in entries}
        pool_nodes = {}
        for node, config in configs.items():
            for pool in config["resourceList"]:
                pool_nodes.setdefault(_pool_name(pool, prefix), []).append(node)
        if not configs:
            self.problems.append(
                _bad(
                    where,
                    "sriov_dp_resources",
                    [_pool_name(p, prefix) for p in c["sriov_dp_resources"]],
                    "pools that select VFs on some host: sriov_firmware_nics with num_vfs > 0 on a port of the "
                    "pool's linkType on a host of sriov_dp_host_group, or sriov_dp_state absent / sriov_dp not in "
                    "rdmaops_cluster_roles",
                    "no host gets any VF, the SR-IOV device plugin would have nothing to serve",
                )
            )
        for entry in entries:
            v = self.host(entry["host"])
            if entry["node"] not in configs and v.is_set("sriov_dp_enabled"):
                self.problems.append(
                    _bad(
                        entry["host"],
                        "sriov_dp_enabled",
                        v["sriov_dp_enabled"],
                        "false on a host without VFs, or sriov_firmware_nics entries with num_vfs > 0",
                        "none of its sriov_firmware_nics makes VFs on a port of a pool's linkType, so it gets no pool",
                    )
                )
        if c["sriov_dp_require_exclusive_netns"]:
            for node, config in configs.items():
                host = node_host[node]
                rdma = any(s.get("isRdma") for p in config["resourceList"] for s in p["selectors"])
                if rdma and self.host(host)["netns_mode_netns"] != "exclusive":
                    self.problems.append(
                        _bad(
                            host,
                            "netns_mode_netns",
                            self.host(host)["netns_mode_netns"],
                            "exclusive on a host that gets an RDMA SR-IOV pool (isRdma), or "
                            "sriov_dp_require_exclusive_netns: false when no network chains rdma-cni",
                            "rdma-cni refuses to run in shared mode",
                        )
                    )
        return pools, pool_nodes

    def ib_netdevs(self):
        """netdev -> hosts where sriov_firmware_nics makes that netdev an InfiniBand port."""
        out = {}
        for host, nics in self.valid_nics.items():
            for nic in nics:
                if nic.get("netdev") and nic.get("link_type") == "ib":
                    out.setdefault(nic["netdev"], []).append(host)
        return out

    def network_cross_checks(self, networks, variable, deployed, shared_pools, shared_hosts, sriov_pools, pool_nodes):
        where = self.cluster.where
        c = self.cluster
        link_types = c["networks_link_types"] if isinstance(c["networks_link_types"], dict) else {}
        ib_ports = self.ib_netdevs()
        prefix = c["sriov_dp_resource_prefix"]
        for index, network in enumerate(networks):
            if not isinstance(network, dict):
                continue
            path = f"{variable}[{index}]"
            net_type, master, resource = network.get("type"), network.get("master"), network.get("resource")
            # A master that a host's firmware makes an InfiniBand port; network_errors already
            # refuses the names and link types it can see on its own.
            if (
                net_type in ("macvlan", "ipvlan")
                and isinstance(master, str)
                and master in ib_ports
                and _link_type(network, link_types) != "infiniband"
            ):
                self.problems.append(
                    _bad(
                        where,
                        f"{path}.master",
                        master,
                        f"an Ethernet (RoCE) interface for type {net_type}; on InfiniBand use host-device or ib-sriov",
                        f"{master} is an InfiniBand port on {', '.join(ib_ports[master])} "
                        "(sriov_firmware_nics netdev with link_type ib); macvlan and ipvlan cannot sit on IPoIB",
                    )
                )
            if not isinstance(resource, str) or "/" not in resource:
                continue
            if net_type in ("sriov", "ib-sriov"):
                if "sriov_dp" not in deployed or sriov_pools is None:
                    continue
                pool = sriov_pools.get(resource)
                want = "ib" if net_type == "ib-sriov" else "eth"
                if pool is None:
                    self.problems.append(
                        _bad(
                            where,
                            f"{path}.resource",
                            resource,
                            f"a pool of sriov_dp_resources: {', '.join(sorted(sriov_pools)) or 'none'}",
                            f"type {net_type} takes its VF from an SR-IOV device plugin pool",
                        )
                    )
                elif pool.get("linkType") not in (None, want):
                    self.problems.append(
                        _bad(
                            where,
                            f"{path}.resource",
                            resource,
                            f"a pool of linkType {want} for type {net_type}",
                            f"the pool holds {pool['linkType']} VFs",
                        )
                    )
                elif not pool_nodes.get(resource):
                    self.problems.append(
                        _bad(
                            where,
                            f"{path}.resource",
                            resource,
                            "a pool that gets VFs on some host: sriov_firmware_nics num_vfs > 0 on a "
                            f"{pool.get('linkType') or 'selected'} port of a host of sriov_dp_host_group with "
                            "sriov_dp_enabled",
                            "no host has VFs for it (firmware num_vfs is 0 or unset everywhere), "
                            "so its pods never schedule",
                        )
                    )
            elif net_type in ("macvlan", "ipvlan", "host-device") and "rdma_shared_dp" in deployed:
                if shared_pools is None or ("sriov_dp" in deployed and sriov_pools is None):
                    continue
                if resource in shared_pools:
                    if not shared_hosts:
                        self.problems.append(
                            _bad(
                                where,
                                f"{path}.resource",
                                resource,
                                "a resource some host serves: a host of rdma_shared_dp_host_group with "
                                "rdma_shared_dp_enabled and netns_mode_netns shared",
                                "no host runs the RDMA shared device plugin, so its pods never schedule",
                            )
                        )
                    continue
                known = set(shared_pools) | (set(sriov_pools) if "sriov_dp" in deployed else set())
                prefixes = {name.split("/")[0] for name in shared_pools} | {prefix}
                # Only a resource under one of our plugins' prefixes can be a typo of ours.
                if resource not in known and resource.split("/")[0] in prefixes:
                    self.problems.append(
                        _bad(
                            where,
                            f"{path}.resource",
                            resource,
                            "a pool of rdma_shared_dp_resources or sriov_dp_resources: "
                            + (", ".join(sorted(known)) or "none"),
                            "no device plugin of this inventory provides it",
                        )
                    )


def inventory_errors(hostvars, groups, cluster_host="localhost", k8s_nodes=None, uninstall=False):
    """Every problem of the inventory, as strings naming where, the variable, the value and what is allowed."""
    return _Checker(hostvars, groups, cluster_host, k8s_nodes, uninstall).run()


class FilterModule:
    def filters(self):
        return {"inventory_errors": inventory_errors}
