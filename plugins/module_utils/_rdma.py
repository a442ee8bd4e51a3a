# Copyright (c) 2025, rdmaops.fabric contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Parsers for the RDMA tools and the RDMA part of sysfs.

Pure functions over strings: ``rdma system|link|dev`` (iproute2), ``ibstat`` (infiniband-diags),
``ibv_devinfo`` (ibverbs-utils), ``ibdev2netdev [-v]`` and ``ofed_info -s`` (MLNX_OFED / DOCA-OFED),
the ``ib_core netns_mode`` line of a modprobe.d file. The sysfs readers at the end take a root
directory (``/sys`` on a host, a mounted copy or a simulated tree elsewhere).
"""

from __future__ import annotations

import json
import os
import re

# iproute2 releases that introduced the `rdma system` features (iproute2 git: rdma/sys.c).
IPROUTE2_MIN_SYSTEM = "5.3"  # `rdma system` with netns
IPROUTE2_MIN_PRIVILEGED_QKEY = "6.7"  # `privileged-qkey`
KERNEL_MIN_PRIVILEGED_QKEY = "6.5"  # RDMA_NLDEV_SYS_ATTR_PRIVILEGED_QKEY_MODE

# ib_core module parameter netns_mode: 1 = shared, 0 = exclusive.
NETNS_MODE_PARAM = {"shared": "1", "exclusive": "0"}

_ON = ("on", "1", "true", "yes", "y")
_OFF = ("off", "0", "false", "no", "n")

_BDF_RE = re.compile(r"^[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]$")


def _on_off(value):
    if value is None:
        return None
    v = str(value).strip().lower()
    if v in _ON:
        return True
    if v in _OFF:
        return False
    return None


def _int_or_none(value, base=10):
    try:
        return int(str(value).strip(), base)
    except (TypeError, ValueError):
        return None


def _number(value):
    """``"100"`` -> 100, ``"2.5"`` -> 2.5, anything else unchanged."""
    text = str(value).strip()
    if re.match(r"^-?\d+$", text):
        return int(text)
    if re.match(r"^-?\d+\.\d+$", text):
        return float(text)
    return value


def _snake(key):
    return re.sub(r"[^a-z0-9]+", "_", key.strip().lower()).strip("_")


def _pairs(tokens):
    """``["a", "1", "b", "2"]`` -> ``{"a": "1", "b": "2"}`` (a trailing lone key maps to None)."""
    out = {}
    for i in range(0, len(tokens), 2):
        out[tokens[i].rstrip(":")] = tokens[i + 1] if i + 1 < len(tokens) else None
    return out


# --------------------------------------------------------------------------- rdma (iproute2)
_SYSTEM_KEYS = {
    "netns": "netns",
    "privileged-qkey": "privileged_qkey",
    "monitor": "monitor",
    "copy-on-fork": "copy_on_fork",
}


def parse_rdma_system(text):
    """Parse ``rdma system [show]`` (plain or ``-j`` JSON).

    ``netns shared privileged-qkey off monitor on copy-on-fork on`` ->
    ``{"netns": "shared", "privileged_qkey": False, "monitor": True, "copy_on_fork": True}``;
    attributes the tool did not print are None (old iproute2 prints only ``netns shared``).
    """
    out = {"netns": None, "privileged_qkey": None, "monitor": None, "copy_on_fork": None}
    text = text or ""
    stripped = text.strip()
    pairs = {}
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
        if isinstance(data, list):
            data = data[0] if data else {}
        if isinstance(data, dict):
            pairs = dict(data.items())
    if not pairs:
        tokens = stripped.split()
        for i, token in enumerate(tokens):
            if token in _SYSTEM_KEYS and i + 1 < len(tokens):
                pairs.setdefault(token, tokens[i + 1])
    for key, field in _SYSTEM_KEYS.items():
        if key not in pairs:
            continue
        value = pairs[key]
        if field == "netns":
            out["netns"] = str(value) if value in ("shared", "exclusive") else None
        else:
            out[field] = value if isinstance(value, bool) else _on_off(value)
    return out


def rdma_object_unknown(text, obj="system"):
    """True when ``rdma`` says it does not know ``obj`` (iproute2 older than the object)."""
    pattern = r"Unknown object\s+['\"]?" + re.escape(obj) + r"['\"]?"
    return bool(re.search(pattern, text or ""))


def parse_iproute2_version(text):
    """``rdma utility, iproute2-5.3.0`` -> ``"5.3.0"``; ``iproute2-ss190924`` -> ``"ss190924"``; else None."""
    m = re.search(r"iproute2-(?:(?P<ss>ss\d+)|(?P<ver>\d+(?:\.\d+)*))", text or "")
    if not m:
        return None
    return m.group("ver") or m.group("ss")


def is_busy_error(text):
    """True for the kernel's refusal (EBUSY) to switch netns mode while other network namespaces exist."""
    return bool(re.search(r"Device or resource busy|EBUSY", text or "", re.IGNORECASE))


def parse_rdma_link(text):
    """Parse ``rdma link [show]``: one dict per ``link <dev>/<port> key value ...`` line.

    ``{"device": "mlx5_3", "port": 1, "state": "ACTIVE", "physical_state": "LINK_UP", "netdev": "ib0"}``;
    ``netdev`` is None when the line has none (netdev in another namespace). Other pairs
    (``lid``, ``sm_lid``, ``lmc``, ``subnet_prefix``, ``netdev_index``) are kept as strings.
    """
    links = []
    for line in (text or "").splitlines():
        tokens = line.split()
        if len(tokens) < 2 or tokens[0] != "link" or "/" not in tokens[1]:
            continue
        device, _sep, port = tokens[1].rpartition("/")
        entry = {"device": device, "port": _int_or_none(port), "state": None, "physical_state": None, "netdev": None}
        entry.update(_pairs(tokens[2:]))
        links.append(entry)
    return links


def parse_rdma_dev(text):
    """Parse ``rdma dev [show]``: ``8: rocep6s0f1: node_type ca fw 16.29.0550 node_guid ... sys_image_guid ...``.

    One dict per device: ``index`` (int), ``name``, ``node_type``, ``fw``, ``node_guid``,
    ``sys_image_guid`` and any further pairs; indented continuation lines (``caps: <...>``) are skipped.
    """
    devices = []
    for line in (text or "").splitlines():
        m = re.match(r"^(?P<index>\d+):\s+(?P<name>[^\s:]+):?\s*(?P<rest>.*)$", line)
        if not m:
            continue
        entry = {"index": int(m.group("index")), "name": m.group("name"), "node_type": None, "fw": None}
        entry.update({"node_guid": None, "sys_image_guid": None})
        entry.update(_pairs(m.group("rest").split()))
        devices.append(entry)
    return devices


# --------------------------------------------------------------------------- infiniband-diags / verbs
def parse_ibstat(text):
    """Parse ``ibstat [ca]``: a list of CAs, each with its ``ports``.

    Keys are snake_case (``ca_type``, ``firmware_version``, ``node_guid``; port ``state``,
    ``physical_state``, ``rate``, ``base_lid``, ``sm_lid``, ``lmc``, ``port_guid``, ``link_layer``).
    Numbers become ints (rate may be a float such as 2.5). Tabs or spaces, empty values (rxe
    ``CA type:``) and several CAs without blank lines between them are handled.
    """
    cas = []
    ca = None
    port = None
    for line in (text or "").splitlines():
        stripped = line.strip()
        m = re.match(r"^CA\s+'(?P<name>[^']*)'", stripped)
        if m:
            ca = {"name": m.group("name"), "ports": []}
            cas.append(ca)
            port = None
            continue
        if ca is None or not stripped:
            continue
        m = re.match(r"^Port\s+(?P<num>\d+):\s*$", stripped)
        if m:
            port = {"port": int(m.group("num"))}
            ca["ports"].append(port)
            continue
        key, sep, value = stripped.partition(":")
        if not sep:
            continue
        key = _snake(key)
        value = value.strip()
        if key in ("number_of_ports", "base_lid", "sm_lid", "lmc", "rate"):
            value = _number(value)
        target = port if port is not None else ca
        target[key] = value if value != "" else None
    return cas


def parse_ibv_devinfo(text):
    """Parse ``ibv_devinfo [-v] [-d dev]``: a list of devices (``hca_id`` first), each with ``ports``.

    Device and port keys are snake_case (``fw_ver``, ``node_guid``, ``board_id``, ``phys_port_cnt``,
    port ``state``, ``active_mtu``, ``link_layer``, ...), values raw strings except integers.
    Flag lists printed on continuation lines become lists (``device_cap_flags_list``). Port
    ``gids`` is a list of ``{"index", "gid", "type"}`` from ``GID[  0]: fe80::..., RoCE v2``.
    """
    devices = []
    dev = None
    target = None
    list_key = None
    list_indent = 0
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        indent = len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip())
        m = re.match(r"^hca_id:\s*(?P<id>\S+)", stripped)
        if m:
            dev = {"hca_id": m.group("id"), "ports": []}
            devices.append(dev)
            target, list_key = dev, None
            continue
        if dev is None:
            continue
        m = re.match(r"^port:\s*(?P<num>\d+)$", stripped)
        if m:
            target = {"port": int(m.group("num")), "gids": []}
            dev["ports"].append(target)
            list_key = None
            continue
        m = re.match(r"^GID\[\s*(?P<idx>\d+)\]:\s*(?P<gid>[^,\s]+)(?:,\s*(?P<type>.*))?$", stripped)
        if m and "gids" in target:
            target["gids"].append({"index": int(m.group("idx")), "gid": m.group("gid"), "type": m.group("type")})
            continue
        key, sep, value = stripped.partition(":")
        if not sep or key == "Unknown flags":
            # Continuation lines of a flag list are indented deeper than the key that opened it.
            if list_key and indent > list_indent:
                target[list_key].append(stripped)
            else:
                list_key = None
            continue
        key = _snake(key)
        value = value.strip()
        list_key, list_indent = None, indent
        if value == "" or key.endswith("flags") or key.endswith("flags_ex"):
            list_key = key + "_list"
            target[list_key] = []
        if value == "":
            continue
        if re.match(r"^\d+$", value):
            value = int(value)
        target.setdefault(key, value)
    return devices


_IBDEV2NETDEV_V_RE = re.compile(
    r"^(?P<pci>\S+)\s+(?P<device>\S+)\s+\((?P<device_id>[^\s)]+)\s+-\s+(?P<psid>[^)]*?)\)\s?(?P<board>.*?)\s*"
    r"\bfw\s+(?P<fw>\S+)\s+port\s+(?P<port>\d+)\s+\((?P<port_state>[^)]*?)\s*\)\s+==>\s+(?P<netdev>\S+)"
    r"\s+\((?P<netdev_state>[^)]*)\)\s*$"
)
_IBDEV2NETDEV_RE = re.compile(
    r"^(?P<device>\S+)\s+port\s+(?P<port>\d+)\s+==>\s+(?P<netdev>\S+)\s+\((?P<netdev_state>[^)]*)\)\s*$"
)


def parse_ibdev2netdev(text):
    """Parse ``ibdev2netdev`` and ``ibdev2netdev -v``.

    Plain rows give ``device``, ``port``, ``netdev``, ``netdev_state`` (``Up``/``Down``); ``-v``
    rows add ``pci_address``, ``device_id`` (``MT4115``), ``psid`` (None for ``NA``), ``board``
    (None when empty), ``fw`` and ``port_state`` (``ACTIVE``/``DOWN``, padding removed).
    Rows keep the tool's order (not sorted).
    """
    rows = []
    for line in (text or "").splitlines():
        m = _IBDEV2NETDEV_V_RE.match(line.strip())
        if m:
            rows.append(
                {
                    "device": m.group("device"),
                    "port": int(m.group("port")),
                    "netdev": m.group("netdev"),
                    "netdev_state": m.group("netdev_state"),
                    "pci_address": m.group("pci"),
                    "device_id": m.group("device_id"),
                    "psid": None if m.group("psid").strip() in ("", "NA") else m.group("psid").strip(),
                    "board": m.group("board").strip() or None,
                    "fw": m.group("fw"),
                    "port_state": m.group("port_state").strip(),
                }
            )
            continue
        m = _IBDEV2NETDEV_RE.match(line.strip())
        if m:
            rows.append(
                {
                    "device": m.group("device"),
                    "port": int(m.group("port")),
                    "netdev": m.group("netdev"),
                    "netdev_state": m.group("netdev_state"),
                }
            )
    return rows


# --------------------------------------------------------------------------- driver stack
def parse_ofed_info(text):
    """Parse ``ofed_info -s``.

    ``MLNX_OFED_LINUX-5.8-1.0.1.1:`` -> ``{"stack": "mlnx_ofed", "version": "5.8-1.0.1.1"}``;
    ``OFED-internal-24.10-1.1.4.0.200:`` -> ``{"stack": "doca_ofed", "version": "24.10-1.1.4.0.200"}``;
    empty output -> ``{"stack": "inbox", "version": None}``; anything else -> stack ``unknown``
    and the text (without the trailing colon) as version.
    """
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    if not lines:
        return {"stack": "inbox", "version": None}
    first = lines[0].rstrip(":").strip()
    m = re.match(r"^MLNX_OFED_LINUX-(?P<v>\S+)$", first)
    if m:
        return {"stack": "mlnx_ofed", "version": m.group("v")}
    m = re.match(r"^OFED-internal-(?P<v>\S+)$", first)
    if m:
        return {"stack": "doca_ofed", "version": m.group("v")}
    return {"stack": "unknown", "version": first}


# --------------------------------------------------------------------------- modprobe.d
_OPTIONS_RE = re.compile(r"^(?P<lead>\s*options\s+ib_core\s+)(?P<opts>.*?)(?P<trail>\s*)$")


def parse_modprobe_netns_mode(text):
    """The netns mode an ``options ib_core netns_mode=<1|0>`` line sets (last one wins), or None."""
    mode = None
    for line in (text or "").splitlines():
        m = _OPTIONS_RE.match(line.split("#", 1)[0])
        if not m:
            continue
        for opt in m.group("opts").split():
            key, _sep, value = opt.partition("=")
            if key in ("netns_mode",):
                flag = _on_off(value)
                if flag is not None:
                    mode = "shared" if flag else "exclusive"
    return mode


MODPROBE_HEADER = "# Managed by rdmaops.fabric.rdma_system: RDMA network namespace mode (1 shared, 0 exclusive).\n"


def render_modprobe_conf(existing, netns):
    """The modprobe.d text that sets ``ib_core netns_mode`` for ``netns``, keeping everything else.

    The first ``options ib_core`` line gets ``netns_mode=<1|0>`` (its other options stay); the
    setting is removed from later ``options ib_core`` lines (a line left empty is dropped); when
    there is no such line one is appended. ``existing`` None or empty gives a new file.
    """
    value = NETNS_MODE_PARAM[netns]
    if not existing:
        return f"{MODPROBE_HEADER}options ib_core netns_mode={value}\n"
    out = []
    placed = False
    for line in existing.splitlines(keepends=True):
        body, nl = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        code, hash_, comment = body.partition("#")
        m = _OPTIONS_RE.match(code)
        if not m:
            out.append(line)
            continue
        opts = [o for o in m.group("opts").split() if o.partition("=")[0] != "netns_mode"]
        if not placed:
            opts.append(f"netns_mode={value}")
            placed = True
        elif not opts:
            continue
        rebuilt = m.group("lead") + " ".join(opts)
        if hash_:
            rebuilt += (m.group("trail") or " ") + hash_ + comment
        out.append(rebuilt + nl)
    text = "".join(out)
    if not placed:
        if text and not text.endswith("\n"):
            text += "\n"
        text += f"options ib_core netns_mode={value}\n"
    return text


# --------------------------------------------------------------------------- sysfs
def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().strip()
    except (OSError, ValueError):
        return None


def _listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _state_name(raw):
    """``"4: ACTIVE"`` -> ``"ACTIVE"``; ``"5: LinkUp"`` -> ``"LinkUp"``."""
    if raw is None:
        return None
    return raw.split(":", 1)[1].strip() if ":" in raw else raw.strip()


def parse_rate_gbps(rate):
    """``"100 Gb/sec (4X EDR)"`` -> 100.0, ``"2.5 Gb/sec (1X SDR)"`` -> 2.5, else None."""
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*Gb/sec", rate or "")
    return float(m.group(1)) if m else None


# rdma link prints physical states in upper case with underscores; sysfs and ibstat in CamelCase.
PHYS_STATE_NAMES = {
    "SLEEP": "Sleep",
    "POLLING": "Polling",
    "DISABLED": "Disabled",
    "PORT_CONFIGURATION_TRAINING": "PortConfigurationTraining",
    "LINK_UP": "LinkUp",
    "LINK_ERROR_RECOVERY": "LinkErrorRecovery",
    "PHY_TEST": "PhyTest",
    "NO_STATE_CHANGE": "NoStateChange",
}


def normalize_phys_state(value):
    if value is None:
        return None
    return PHYS_STATE_NAMES.get(value.strip().upper(), value.strip())


def pci_address_of(device_dir):
    """The PCI address of a sysfs ``device`` link: the link target's name, else ``PCI_SLOT_NAME`` in uevent."""
    if not os.path.exists(device_dir):
        return None
    name = os.path.basename(os.path.realpath(device_dir))
    if _BDF_RE.match(name):
        return name
    uevent = _read(os.path.join(device_dir, "uevent")) or ""
    m = re.search(r"^PCI_SLOT_NAME=(\S+)$", uevent, re.MULTILINE)
    return m.group(1) if m else None


def _port_netdev(port_dir, port_num, netdev_ports):
    ndev = _read(os.path.join(port_dir, "gid_attrs", "ndevs", "0"))
    if ndev:
        return ndev
    candidates = [n for n, p in netdev_ports if p == port_num]
    if not candidates and len(netdev_ports) == 1:
        candidates = [netdev_ports[0][0]]
    candidates.sort(key=lambda n: ("." in n, n))
    return candidates[0] if candidates else None


def read_sysfs_device(sysfs_root, name):
    """Facts about one RDMA device from ``<sysfs_root>/class/infiniband/<name>``."""
    base = os.path.join(sysfs_root, "class", "infiniband", name)
    devdir = os.path.join(base, "device")
    netdevs = _listdir(os.path.join(devdir, "net"))
    netdev_ports = []
    for ndev in netdevs:
        dev_port = _int_or_none(_read(os.path.join(devdir, "net", ndev, "dev_port")))
        netdev_ports.append((ndev, (dev_port or 0) + 1))
    physfn = os.path.join(devdir, "physfn")
    driver = os.path.join(devdir, "driver")
    device = {
        "name": name,
        "pci_address": pci_address_of(devdir),
        "node_guid": _read(os.path.join(base, "node_guid")),
        "sys_image_guid": _read(os.path.join(base, "sys_image_guid")),
        "fw_version": _read(os.path.join(base, "fw_ver")),
        "board_id": _read(os.path.join(base, "board_id")),
        "hca_type": _read(os.path.join(base, "hca_type")),
        "node_type": _state_name(_read(os.path.join(base, "node_type"))),
        "driver": os.path.basename(os.path.realpath(driver)) if os.path.exists(driver) else None,
        "vendor_id": _read(os.path.join(devdir, "vendor")),
        "device_id": _read(os.path.join(devdir, "device")),
        "numa_node": _int_or_none(_read(os.path.join(devdir, "numa_node"))),
        "is_vf": os.path.exists(physfn),
        "pf_pci_address": pci_address_of(physfn) if os.path.exists(physfn) else None,
        "sriov_totalvfs": _int_or_none(_read(os.path.join(devdir, "sriov_totalvfs"))),
        "sriov_numvfs": _int_or_none(_read(os.path.join(devdir, "sriov_numvfs"))),
        "netdevs": netdevs,
        "ports": [],
    }
    ports_dir = os.path.join(base, "ports")
    for port in sorted(_listdir(ports_dir), key=lambda p: _int_or_none(p) or 0):
        num = _int_or_none(port)
        if num is None:
            continue
        pdir = os.path.join(ports_dir, port)
        rate = _read(os.path.join(pdir, "rate"))
        device["ports"].append(
            {
                "port": num,
                "state": _state_name(_read(os.path.join(pdir, "state"))),
                "physical_state": _state_name(_read(os.path.join(pdir, "phys_state"))),
                "link_layer": _read(os.path.join(pdir, "link_layer")),
                "rate": rate,
                "rate_gbps": parse_rate_gbps(rate),
                "lid": _int_or_none(_read(os.path.join(pdir, "lid")), 16),
                "sm_lid": _int_or_none(_read(os.path.join(pdir, "sm_lid")), 16),
                "netdev": _port_netdev(pdir, num, netdev_ports),
            }
        )
    return device


def read_sysfs_devices(sysfs_root="/sys"):
    """Every RDMA device under ``<sysfs_root>/class/infiniband``; [] when there is none."""
    base = os.path.join(sysfs_root, "class", "infiniband")
    return [read_sysfs_device(sysfs_root, name) for name in _listdir(base)]


def read_sysfs_netns_mode(sysfs_root="/sys"):
    """The running netns mode from ``module/ib_core/parameters/netns_mode`` (Y shared, N exclusive), or None."""
    flag = _on_off(_read(os.path.join(sysfs_root, "module", "ib_core", "parameters", "netns_mode")))
    if flag is None:
        return None
    return "shared" if flag else "exclusive"


# --------------------------------------------------------------------------- devices from tools
_IBSTAT_STATES = {"DOWN": "DOWN", "INITIALIZING": "INIT", "INIT": "INIT", "ARMED": "ARMED", "ACTIVE": "ACTIVE"}


def format_guid(value):
    """``0x248a07030049aee0`` / ``248a07030049aee0`` -> ``248a:0703:0049:aee0`` (the sysfs form)."""
    if not value:
        return None
    text = value.strip().lower()
    text = text[2:] if text.startswith("0x") else text
    if re.match(r"^[0-9a-f]{16}$", text):
        return ":".join(text[i : i + 4] for i in range(0, 16, 4))
    return value.strip()


def empty_device(name):
    """A device record with every key :func:`read_sysfs_device` returns, all unknown."""
    return {
        "name": name,
        "pci_address": None,
        "node_guid": None,
        "sys_image_guid": None,
        "fw_version": None,
        "board_id": None,
        "hca_type": None,
        "node_type": None,
        "driver": None,
        "vendor_id": None,
        "device_id": None,
        "numa_node": None,
        "is_vf": None,
        "pf_pci_address": None,
        "sriov_totalvfs": None,
        "sriov_numvfs": None,
        "netdevs": [],
        "ports": [],
    }


def empty_port(num):
    return {
        "port": num,
        "state": None,
        "physical_state": None,
        "link_layer": None,
        "rate": None,
        "rate_gbps": None,
        "lid": None,
        "sm_lid": None,
        "netdev": None,
    }


def devices_from_tools(rdma_dev=None, rdma_link=None, ibstat=None, ibdev2netdev=None):
    """Device records (same keys as the sysfs reader) merged from parsed tool outputs.

    Takes the results of :func:`parse_rdma_dev`, :func:`parse_rdma_link`, :func:`parse_ibstat`
    and :func:`parse_ibdev2netdev` (any may be None). Used where sysfs is not readable.
    """
    devices = {}
    order = []

    def device(name):
        if name not in devices:
            devices[name] = empty_device(name)
            order.append(name)
        return devices[name]

    def port(dev, num):
        for p in dev["ports"]:
            if p["port"] == num:
                return p
        p = empty_port(num)
        dev["ports"].append(p)
        dev["ports"].sort(key=lambda x: x["port"] or 0)
        return p

    for row in rdma_dev or []:
        dev = device(row["name"])
        dev["fw_version"] = row.get("fw")
        dev["node_guid"] = row.get("node_guid")
        dev["sys_image_guid"] = row.get("sys_image_guid")
        dev["node_type"] = (row.get("node_type") or "").upper() or None
    for row in rdma_link or []:
        dev = device(row["device"])
        p = port(dev, row["port"])
        p["state"] = row.get("state")
        p["physical_state"] = normalize_phys_state(row.get("physical_state"))
        p["netdev"] = row.get("netdev")
        p["lid"] = _int_or_none(row.get("lid"))
        p["sm_lid"] = _int_or_none(row.get("sm_lid"))
    for ca in ibstat or []:
        dev = device(ca["name"])
        dev["fw_version"] = dev["fw_version"] or ca.get("firmware_version")
        dev["node_guid"] = dev["node_guid"] or format_guid(ca.get("node_guid"))
        dev["sys_image_guid"] = dev["sys_image_guid"] or format_guid(ca.get("system_image_guid"))
        dev["hca_type"] = dev["hca_type"] or ca.get("ca_type")
        for row in ca["ports"]:
            p = port(dev, row["port"])
            state = str(row.get("state") or "").upper()
            p["state"] = p["state"] or _IBSTAT_STATES.get(state, state or None)
            p["physical_state"] = p["physical_state"] or row.get("physical_state")
            p["link_layer"] = row.get("link_layer")
            if isinstance(row.get("rate"), (int, float)):
                p["rate_gbps"] = float(row["rate"])
                p["rate"] = p["rate"] or f"{row['rate']} Gb/sec"
            if p["lid"] is None and isinstance(row.get("base_lid"), int):
                p["lid"] = row["base_lid"]
            if p["sm_lid"] is None and isinstance(row.get("sm_lid"), int):
                p["sm_lid"] = row["sm_lid"]
    for row in ibdev2netdev or []:
        dev = device(row["device"])
        p = port(dev, row["port"])
        p["netdev"] = p["netdev"] or row.get("netdev")
        if row.get("netdev") and row["netdev"] not in dev["netdevs"]:
            dev["netdevs"].append(row["netdev"])
        dev["pci_address"] = dev["pci_address"] or row.get("pci_address")
        dev["board_id"] = dev["board_id"] or row.get("psid")
        dev["fw_version"] = dev["fw_version"] or row.get("fw")
    return [devices[name] for name in order]
