# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Validation and rendering of the network attachments (NetworkAttachmentDefinitions).

Validation never raises for a bad value: it returns a list of error strings, each starting with the
variable path that holds the bad value (``networks_list[2].ipam.gateway``), so that a preflight
check can report every problem of an inventory at once, before any API write.
"""

from __future__ import annotations

import re

try:
    import netaddr
except ImportError as exc:  # pragma: no cover - depends on the controller's Python
    netaddr = None
    NETADDR_IMPORT_ERROR = exc
else:
    NETADDR_IMPORT_ERROR = None

from ansible.errors import AnsibleFilterError

DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
DNS_LABEL_RE = re.compile(rf"^{DNS_LABEL}$")
DNS_SUBDOMAIN_RE = re.compile(rf"^{DNS_LABEL}(?:\.{DNS_LABEL})*$")
# Linux interface names: 1-15 bytes, no '/', ':' or whitespace, not '.' or '..'.
IFNAME_RE = re.compile(r"^[^/:\s]{1,15}$")
# Extended resource names as the device plugins register them: <dns-subdomain>/<name>.
RESOURCE_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$")

TYPES = ("macvlan", "ipvlan", "host-device", "sriov", "ib-sriov")
LINK_TYPES = ("ethernet", "infiniband")
MODES = {
    "macvlan": ("bridge", "private", "vepa", "passthru"),
    "ipvlan": ("l2", "l3", "l3s"),
}
IPAM_TYPES = ("whereabouts", "host-local")
NETWORK_KEYS = (
    "name",
    "namespace",
    "type",
    "master",
    "resource",
    "mode",
    "mtu",
    "vlan",
    "link_type",
    "rdma_isolation",
    "ipam",
)
IPAM_KEYS = {
    "whereabouts": (
        "type",
        "range",
        "range_start",
        "range_end",
        "exclude",
        "gateway",
        "routes",
        "enable_overlapping_ranges",
        "network_name",
        "node_slice_size",
    ),
    "host-local": ("type", "range", "range_start", "range_end", "gateway", "routes"),
}
MTU_MIN, MTU_MAX = 68, 65520  # IPoIB connected mode goes up to 65520
MTU_TYPES = ("macvlan", "ipvlan")


def require_netaddr():
    if netaddr is None:  # pragma: no cover - depends on the controller's Python
        raise AnsibleFilterError(
            "the rdmaops.fabric network filters need the Python library netaddr on the controller "
            f"(pip install netaddr): {NETADDR_IMPORT_ERROR}"
        )


def k8s_name_errors(value, path, kind="subdomain"):
    """Errors for a Kubernetes object name: a DNS-1123 label (63) or subdomain (253)."""
    if kind not in ("label", "subdomain"):
        raise AnsibleFilterError(f"k8s_name_errors: kind must be 'label' or 'subdomain', not {kind!r}")
    if not isinstance(value, str) or not value:
        return [f"{path}: is required and must be a non-empty string (got {value!r})"]
    if kind == "label":
        if len(value) > 63 or not DNS_LABEL_RE.match(value):
            return [
                f"{path}: must be a valid Kubernetes name (DNS-1123 label: at most 63 lower-case letters, "
                f"digits and '-', starting and ending with a letter or digit) (got {value!r})"
            ]
        return []
    if len(value) > 253 or not DNS_SUBDOMAIN_RE.match(value):
        return [
            f"{path}: must be a valid Kubernetes name (DNS-1123 subdomain: at most 253 lower-case letters, "
            f"digits, '-' and '.', each part starting and ending with a letter or digit) (got {value!r})"
        ]
    return []


def resource_errors(value, path):
    """Errors for an extended resource name such as rdma/hca_shared_devices_a or nvidia.com/mlnx_sriov."""
    if not isinstance(value, str) or value.count("/") != 1:
        return [
            f"{path}: must be an extended resource '<prefix>/<name>', e.g. rdma/hca_shared_devices_a (got {value!r})"
        ]
    prefix, name = value.split("/")
    if len(prefix) > 253 or not DNS_SUBDOMAIN_RE.match(prefix) or not RESOURCE_NAME_RE.match(name):
        return [
            f"{path}: must be '<dns-subdomain prefix>/<name of letters, digits, '_', '-', '.'>', "
            f"e.g. rdma/hca_shared_devices_a (got {value!r})"
        ]
    return []


def _int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r"^[0-9]+$", value.strip()):
        return int(value.strip())
    return None


def _cidr(value, path, errors, what="a CIDR such as 192.168.10.0/24"):
    """Parse a network in CIDR notation; host bits must be zero."""
    if not isinstance(value, str) or "/" not in value:
        errors.append(f"{path}: must be {what} (got {value!r})")
        return None
    try:
        net = netaddr.IPNetwork(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        errors.append(f"{path}: is not a valid CIDR (got {value!r})")
        return None
    if net.ip != net.network:
        errors.append(f"{path}: has host bits set; the network is {net.cidr} (got {value!r})")
        return None
    return net


def _ip(value, path, errors):
    if not isinstance(value, str) or "/" in value:
        errors.append(f"{path}: must be an IP address without a prefix length (got {value!r})")
        return None
    try:
        return netaddr.IPAddress(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        errors.append(f"{path}: is not a valid IP address (got {value!r})")
        return None


def allocation_range(net, start=None, end=None):
    """First and last address whereabouts hands out in net (network and broadcast left out for IPv4)."""
    if net.version == 4 and net.prefixlen < 31:
        first, last = net.first + 1, net.last - 1
    elif net.version == 6 and net.prefixlen < 127:
        first, last = net.first + 1, net.last
    else:
        first, last = net.first, net.last
    if start is not None:
        first = int(start)
    if end is not None:
        last = int(end)
    return first, last


def _ipam_errors(ipam, path, net_type):
    """Errors of one ipam dict; returns (errors, summary) where summary feeds the overlap check."""
    errors = []
    if not isinstance(ipam, dict):
        return [f"{path}: must be a dictionary with type whereabouts or host-local (got {ipam!r})"], None
    ipam_type = ipam.get("type")
    if ipam_type not in IPAM_TYPES:
        return [f"{path}.type: must be one of {', '.join(IPAM_TYPES)} (got {ipam_type!r})"], None
    unknown = sorted(str(k) for k in ipam if k not in IPAM_KEYS[ipam_type])
    if unknown:
        errors.append(
            f"{path}: unknown key(s) for {ipam_type}: {', '.join(unknown)}; allowed: {', '.join(IPAM_KEYS[ipam_type])}"
        )
    if ipam.get("range") is None:
        errors.append(f"{path}.range: is required (a CIDR such as 192.168.10.0/24)")
        return errors, None
    net = _cidr(ipam["range"], f"{path}.range", errors)
    if net is None:
        return errors, None

    def inside(key, value):
        addr = _ip(value, f"{path}.{key}", errors)
        if addr is None:
            return None
        if addr.version != net.version:
            errors.append(f"{path}.{key}: is IPv{addr.version} but range {net} is IPv{net.version} (got {value!r})")
            return None
        if addr not in net:
            errors.append(f"{path}.{key}: {addr} is outside the subnet {net}")
            return None
        return addr

    start = inside("range_start", ipam["range_start"]) if ipam.get("range_start") is not None else None
    end = inside("range_end", ipam["range_end"]) if ipam.get("range_end") is not None else None
    if start is not None and end is not None and int(start) > int(end):
        errors.append(f"{path}.range_start: {start} comes after range_end {end}")
    first, last = allocation_range(net, start, end)

    excludes = []
    exclude = ipam.get("exclude")
    if exclude is not None:
        if not isinstance(exclude, list):
            errors.append(f"{path}.exclude: must be a list of CIDRs (got {exclude!r})")
        else:
            for i, item in enumerate(exclude):
                ex = _cidr(item, f"{path}.exclude[{i}]", errors, "a CIDR such as 192.168.10.0/28 (/32 for one address)")
                if ex is None:
                    continue
                if ex.version != net.version or ex not in net:
                    errors.append(f"{path}.exclude[{i}]: {ex} is not inside the subnet {net}")
                    continue
                excludes.append(ex)

    gateway = ipam.get("gateway")
    if gateway is not None:
        gw = inside("gateway", gateway)
        if gw is not None:
            if int(gw) in (net.first, net.last) and net.version == 4 and net.prefixlen < 31:
                errors.append(f"{path}.gateway: {gw} is the network or broadcast address of {net}")
            elif first <= int(gw) <= last and not any(gw in ex for ex in excludes):
                errors.append(
                    f"{path}.gateway: {gw} is inside the allocation range "
                    f"{netaddr.IPAddress(first, net.version)}-{netaddr.IPAddress(last, net.version)}, so a pod could "
                    "get the gateway's address; move range_start/range_end or add it to exclude"
                )

    routes = ipam.get("routes")
    if routes is not None:
        if not isinstance(routes, list):
            errors.append(f"{path}.routes: must be a list of {{dst, gw}} (got {routes!r})")
        else:
            for i, route in enumerate(routes):
                rpath = f"{path}.routes[{i}]"
                if not isinstance(route, dict) or route.get("dst") is None:
                    errors.append(f"{rpath}: must be a dictionary with dst (a CIDR) and optionally gw (got {route!r})")
                    continue
                extra = sorted(str(k) for k in route if k not in ("dst", "gw"))
                if extra:
                    errors.append(f"{rpath}: unknown key(s) {', '.join(extra)}; allowed: dst, gw")
                _cidr(route["dst"], f"{rpath}.dst", errors)
                if route.get("gw") is not None:
                    inside(f"routes[{i}].gw", route["gw"])

    overlapping = ipam.get("enable_overlapping_ranges", False)
    if not isinstance(overlapping, bool):
        errors.append(f"{path}.enable_overlapping_ranges: must be a boolean (got {overlapping!r})")
        overlapping = False
    network_name = ipam.get("network_name", "")
    if network_name and (not isinstance(network_name, str) or not DNS_SUBDOMAIN_RE.match(network_name)):
        errors.append(
            f"{path}.network_name: must be lower-case letters, digits, '-' and '.' (it names IPPools) "
            f"(got {network_name!r})"
        )
    slice_size = ipam.get("node_slice_size")
    if slice_size is not None:
        match = re.match(r"^/?([0-9]{1,3})$", str(slice_size))
        bits = 32 if net.version == 4 else 128
        if not match or not (net.prefixlen < int(match.group(1)) <= bits):
            errors.append(
                f"{path}.node_slice_size: must be a prefix length such as /26, longer than the range's "
                f"/{net.prefixlen} and at most /{bits} (got {slice_size!r})"
            )

    summary = None
    if ipam_type == "whereabouts" and not errors:
        summary = {
            "net": net,
            "first": first,
            "last": last,
            "overlapping": overlapping,
            "network_name": network_name or "",
        }
    return errors, summary


def _link_type(network, link_types):
    """The link layer of the network's master: explicit, from the inventory map, or IPoIB by name."""
    if network.get("link_type") is not None:
        return network["link_type"]
    master = network.get("master")
    if isinstance(master, str):
        if isinstance(link_types, dict) and master in link_types:
            value = str(link_types[master]).lower()
            return {"ib": "infiniband", "eth": "ethernet", "ether": "ethernet"}.get(value, value)
        # IPoIB net devices are named ib0, ibp59s0, ibs1f0...; systemd never names Ethernet ports ib*.
        if re.match(r"^ib[0-9ps]", master):
            return "infiniband"
    return None


def network_errors(networks, variable="networks_list", link_types=None, default_namespace="default"):
    """Every problem of a list of network attachments, as error strings naming the variable path."""
    require_netaddr()
    if not isinstance(networks, list):
        return [f"{variable}: must be a list of networks (got {type(networks).__name__})"]
    errors = []
    seen = {}
    pools = []
    for index, network in enumerate(networks):
        path = f"{variable}[{index}]"
        if not isinstance(network, dict):
            errors.append(f"{path}: must be a dictionary (got {network!r})")
            continue
        unknown = sorted(str(k) for k in network if k not in NETWORK_KEYS)
        if unknown:
            errors.append(f"{path}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(NETWORK_KEYS)}")
        name = network.get("name")
        name_errors = k8s_name_errors(name, f"{path}.name")
        errors.extend(name_errors)
        namespace = network.get("namespace", default_namespace)
        ns_errors = k8s_name_errors(namespace, f"{path}.namespace", "label")
        errors.extend(ns_errors)
        if not name_errors and not ns_errors:
            key = (namespace, name)
            if key in seen:
                errors.append(f"{path}.name: {namespace}/{name} is already defined by {variable}[{seen[key]}]")
            else:
                seen[key] = index
        net_type = network.get("type")
        if net_type not in TYPES:
            errors.append(f"{path}.type: must be one of {', '.join(TYPES)} (got {net_type!r})")
            net_type = None

        master = network.get("master")
        if master is not None and (not isinstance(master, str) or not IFNAME_RE.match(master) or master in (".", "..")):
            errors.append(f"{path}.master: must be a network interface name of 1-15 characters (got {master!r})")
        resource = network.get("resource")
        if resource is not None:
            errors.extend(resource_errors(resource, f"{path}.resource"))
        if net_type in ("macvlan", "ipvlan") and master is None:
            errors.append(f"{path}.master: is required for type {net_type} (the parent interface, e.g. ens1f0)")
        if net_type == "host-device" and master is None and resource is None:
            errors.append(
                f"{path}.master: type host-device needs master (the device to move into the pod) or resource "
                "(a device-plugin resource that hands out the device)"
            )
        if net_type in ("sriov", "ib-sriov"):
            if resource is None:
                errors.append(
                    f"{path}.resource: is required for type {net_type} (the VF pool of the SR-IOV device plugin)"
                )
            if master is not None:
                errors.append(f"{path}.master: type {net_type} takes its VF from resource; remove master")

        mode = network.get("mode")
        if mode is not None and net_type is not None:
            if net_type not in MODES:
                errors.append(f"{path}.mode: only macvlan and ipvlan have a mode (got {mode!r} for {net_type})")
            elif mode not in MODES[net_type]:
                errors.append(f"{path}.mode: must be one of {', '.join(MODES[net_type])} for {net_type} (got {mode!r})")

        if network.get("mtu") is not None:
            mtu = _int(network["mtu"])
            if mtu is None or not MTU_MIN <= mtu <= MTU_MAX:
                errors.append(f"{path}.mtu: must be an integer from {MTU_MIN} to {MTU_MAX} (got {network['mtu']!r})")
            elif net_type is not None and net_type not in MTU_TYPES:
                errors.append(
                    f"{path}.mtu: type {net_type} keeps the device's MTU; set it on the host (got {network['mtu']!r})"
                )

        if network.get("vlan") is not None:
            vlan = _int(network["vlan"])
            if vlan is None or not 0 <= vlan <= 4094:
                errors.append(f"{path}.vlan: must be an integer from 0 to 4094 (got {network['vlan']!r})")
            elif net_type is not None and net_type != "sriov":
                errors.append(
                    f"{path}.vlan: only type sriov tags VLANs (on the VF); for {net_type} use a VLAN "
                    f"interface as master, e.g. ens1f0.{vlan}"
                )

        isolation = network.get("rdma_isolation")
        if isolation is not None:
            if not isinstance(isolation, bool):
                errors.append(f"{path}.rdma_isolation: must be a boolean (got {isolation!r})")
            elif isolation and net_type not in ("sriov", "ib-sriov"):
                errors.append(f"{path}.rdma_isolation: only types sriov and ib-sriov move an RDMA device into the pod")

        link_type = network.get("link_type")
        if link_type is not None and link_type not in LINK_TYPES:
            errors.append(f"{path}.link_type: must be one of {', '.join(LINK_TYPES)} (got {link_type!r})")
        else:
            link = _link_type(network, link_types)
            if link == "infiniband" and net_type in ("macvlan", "ipvlan", "sriov"):
                hint = (
                    "ib-sriov or host-device"
                    if net_type == "sriov"
                    else "host-device, ib-sriov or an Ethernet (RoCE) port"
                )
                errors.append(
                    f"{path}.type: {net_type} cannot sit on the InfiniBand (IPoIB) link of master "
                    f"{master!r}; use {hint}"
                    if master is not None
                    else f"{path}.type: {net_type} cannot use an InfiniBand link; use {hint}"
                )
            if link == "ethernet" and net_type == "ib-sriov":
                errors.append(f"{path}.type: ib-sriov needs an InfiniBand link; use sriov for Ethernet (RoCE)")

        if network.get("ipam") is not None:
            ipam_errors, summary = _ipam_errors(network["ipam"], f"{path}.ipam", net_type)
            errors.extend(ipam_errors)
            if summary is not None:
                summary.update(index=index, path=path)
                pools.append(summary)

    # Two whereabouts pools that share addresses hand out duplicate IPs unless both check the
    # cluster-wide reservations (enable_overlapping_ranges). Networks with the same range and
    # network_name share one IPPool; a different network_name declares separate L2 networks.
    for i, a in enumerate(pools):
        for b in pools[i + 1 :]:
            if a["network_name"] != b["network_name"] or a["net"].version != b["net"].version:
                continue
            if a["net"] == b["net"] and (a["first"], a["last"]) == (b["first"], b["last"]):
                continue
            if a["first"] <= b["last"] and b["first"] <= a["last"]:
                if a["overlapping"] and b["overlapping"]:
                    continue
                errors.append(
                    f"{b['path']}.ipam.range: {b['net']} overlaps {a['path']}.ipam.range {a['net']} "
                    "(allocation ranges share addresses, so whereabouts could give two pods the same IP); "
                    "use disjoint ranges, the same range (one shared pool), different network_name, "
                    "or enable_overlapping_ranges: true on both"
                )
    return errors


def _ipam_config(ipam):
    if not ipam:
        return {}
    if ipam["type"] == "host-local":
        entry = {"subnet": ipam["range"]}
        if ipam.get("range_start"):
            entry["rangeStart"] = ipam["range_start"]
        if ipam.get("range_end"):
            entry["rangeEnd"] = ipam["range_end"]
        if ipam.get("gateway"):
            entry["gateway"] = ipam["gateway"]
        out = {"type": "host-local", "ranges": [[entry]]}
    else:
        out = {"type": "whereabouts", "range": ipam["range"]}
        for key in ("range_start", "range_end", "gateway", "network_name", "node_slice_size"):
            if ipam.get(key):
                out[key] = str(ipam[key])
        if out.get("node_slice_size") and not out["node_slice_size"].startswith("/"):
            out["node_slice_size"] = "/" + out["node_slice_size"]
        if ipam.get("exclude"):
            out["exclude"] = list(ipam["exclude"])
        # Always explicit: whereabouts defaults it to true when the key is absent.
        out["enable_overlapping_ranges"] = bool(ipam.get("enable_overlapping_ranges", False))
    if ipam.get("routes"):
        out["routes"] = [{k: r[k] for k in ("dst", "gw") if r.get(k)} for r in ipam["routes"]]
    return out


def cni_config(network, cni_version="0.3.1"):
    """The CNI configuration (spec.config of the NetworkAttachmentDefinition) of one valid network."""
    net_type = network["type"]
    plugin = {"type": net_type}
    if net_type in ("macvlan", "ipvlan"):
        plugin["master"] = network["master"]
        plugin["mode"] = network.get("mode") or MODES[net_type][0]
        if network.get("mtu") is not None:
            plugin["mtu"] = int(network["mtu"])
    elif net_type == "host-device":
        if network.get("master"):
            plugin["device"] = network["master"]
    elif net_type == "sriov":
        if network.get("vlan") is not None:
            plugin["vlan"] = int(network["vlan"])
    elif net_type == "ib-sriov":
        plugin["rdmaIsolation"] = bool(network.get("rdma_isolation", False))
    plugin["ipam"] = _ipam_config(network.get("ipam"))
    if net_type == "sriov" and network.get("rdma_isolation"):
        # The RDMA CNI moves the VF's RDMA device into the pod's namespace (exclusive mode).
        return {
            "cniVersion": cni_version,
            "name": network["name"],
            "plugins": [plugin, {"type": "rdma"}],
        }
    return {"cniVersion": cni_version, "name": network["name"], **plugin}
