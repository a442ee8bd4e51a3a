# ruff: noqa: UP031 - printf-style formats on purpose: they mirror the printf formats of the simulated tools
"""hwsim state: one JSON file in the state directory, guarded by a lock file.

Paths (environment):
  HWSIM_STATE  state directory (default /var/lib/hwsim)
  HWSIM_SYSFS  root of the sysfs-like tree (default <state>/sys)
  HWSIM_ROOT   root for host configuration read at boot: <root>/etc/modprobe.d, modules-load.d (default /)

Files in the state directory:
  state.json    the model (hardware, firmware parameters, runtime, faults)
  calls.jsonl   one line per tool call: {"tool", "argv", "ts", "rc", "ms"}
  boots.jsonl   one line per simulated boot (hwsim boot) or firmware reset (mlxfwreset)
  kmsg.log      kernel-like messages (rejected sriov_numvfs writes, ...)
  lock          flock(2) lock file
"""

from __future__ import annotations

import fcntl
import os
import time

from . import fw, store

SCHEMA = 1
PKG_DIR = os.path.dirname(os.path.abspath(__file__))
PROFILES_DIR = os.path.join(PKG_DIR, "profiles")


class StateError(Exception):
    pass


# --------------------------------------------------------------------------- paths
def state_dir():
    return os.environ.get("HWSIM_STATE") or "/var/lib/hwsim"


def sysfs_root():
    return os.environ.get("HWSIM_SYSFS") or os.path.join(state_dir(), "sys")


def host_root():
    return os.environ.get("HWSIM_ROOT") or "/"


def state_file():
    return os.path.join(state_dir(), "state.json")


def log_path(name):
    return os.path.join(state_dir(), name)


def exists():
    return os.path.exists(state_file())


# --------------------------------------------------------------------------- locking / io
class Locked:
    """Exclusive lock on the state directory; loads the state on enter, saves if ``dirty``."""

    def __init__(self, required=True):
        self.required = required
        self.state = None
        self.dirty = False
        self._fd = None

    def __enter__(self):
        d = state_dir()
        os.makedirs(d, exist_ok=True)
        self._fd = os.open(os.path.join(d, "lock"), os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            self.state = load()
        except FileNotFoundError:
            if self.required:
                self._release()
                raise StateError("hwsim: no simulated hardware in %s (run: hwsim init --profile NAME)" % d) from None
            self.state = None
        return self

    def save(self):
        if self.state is not None:
            save(self.state)
        self.dirty = False

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None and self.dirty:
                self.save()
        finally:
            self._release()
        return False

    def _release(self):
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def load():
    return store.load(state_file())


def save(state):
    store.dump(state_file(), state)


def append_jsonl(name, record):
    line = store.encode(record) + "\n"
    fd = os.open(log_path(name), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def read_jsonl(name):
    import json

    out = []
    try:
        with open(log_path(name), encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        continue
    except FileNotFoundError:
        pass
    return out


def kmsg(text):
    with open(log_path("kmsg.log"), "a", encoding="utf-8") as f:
        f.write("[%.6f] %s\n" % (time.time(), text))


# --------------------------------------------------------------------------- profiles
def list_profiles():
    names = []
    for fn in sorted(os.listdir(PROFILES_DIR)):
        if fn.endswith(".json") and fn != "catalog.json":
            names.append(fn[:-5])
    return names


def load_profile(name_or_path):
    import json

    path = name_or_path
    if os.path.sep not in name_or_path and not name_or_path.endswith(".json"):
        path = os.path.join(PROFILES_DIR, name_or_path + ".json")
    if not os.path.exists(path):
        raise StateError("hwsim: unknown profile %r (known: %s)" % (name_or_path, ", ".join(list_profiles())))
    with open(path, encoding="utf-8") as f:
        prof = json.load(f)
    prof.setdefault("name", os.path.basename(path)[:-5])
    return prof


def load_catalog():
    import json

    with open(os.path.join(PROFILES_DIR, "catalog.json"), encoding="utf-8") as f:
        return json.load(f)


def _expand_groups(catalog, nic, nports):
    names = []
    groups = catalog["groups"]
    for g in nic.get("param_groups", []):
        if g not in groups:
            raise StateError("hwsim: profile names unknown parameter group %r" % g)
        spec = groups[g]
        if isinstance(spec, dict) and spec.get("per_port"):
            for n in range(1, nports + 1):
                for tmpl in spec["names"]:
                    names.append(tmpl.replace("{n}", str(n)))
        else:
            names.extend(spec)
    for extra in nic.get("extra_params", []):
        names.append(extra)
    excl = set(nic.get("exclude_params", []))
    seen = set()
    out = []
    for n in names:
        if n in excl or n in seen:
            continue
        seen.add(n)
        out.append(n)
    return out


def _catalog_def(catalog, name):
    params = catalog["params"]
    if name in params:
        return dict(params[name])
    # per-port template: NAME_P2 -> NAME_P{n}
    base, sep, tail = name.rpartition("_P")
    if sep and tail.isdigit():
        tmpl = base + "_P{n}"
        if tmpl in params:
            return dict(params[tmpl])
    return None


def known_param_names(catalog=None):
    """Every parameter name hwsim knows (for 'Unknown Parameter' vs 'doesn't support')."""
    catalog = catalog or load_catalog()
    out = set()
    for name in catalog["params"]:
        if "{n}" in name:
            for n in (1, 2, 3, 4):
                out.add(name.replace("{n}", str(n)))
        else:
            out.add(name)
    return out


def build_params(catalog, nic, nports):
    order = _expand_groups(catalog, nic, nports)
    inline = nic.get("param_defs", {})
    limits = nic.get("limits", {})
    values = nic.get("values", {})
    params = {}
    for name in order:
        d = dict(inline[name]) if name in inline else _catalog_def(catalog, name)
        if d is None:
            raise StateError("hwsim: parameter %s is not in the catalog" % name)
        if name in limits:
            d["max"] = limits[name]
        if d["type"] == "array":
            d.setdefault("length", 8)
        default = fw.resolve_symbolic(d, d.get("default", 0))
        spec = values.get(name)
        if isinstance(spec, dict):
            dv = fw.resolve_symbolic(d, spec.get("default", default))
            cur = fw.resolve_symbolic(d, spec.get("current", dv))
            nxt = fw.resolve_symbolic(d, spec.get("next", cur))
        elif spec is not None:
            dv = fw.resolve_symbolic(d, spec)
            cur = nxt = dv
        else:
            dv = cur = nxt = default
        if isinstance(dv, list):  # never share one list between the three values
            cur, nxt = list(cur), list(nxt)
        d["default"], d["current"], d["next"] = dv, cur, nxt
        params[name] = d
    return order, params


# --------------------------------------------------------------------------- identifiers
def parse_bdf(bdf):
    """'0000:3b:00.0' -> (domain, bus, dev, fn)."""
    dom, bus, devfn = bdf.split(":")
    dev, fn = devfn.split(".")
    return int(dom, 16), int(bus, 16), int(dev, 16), int(fn, 16)


def fmt_bdf(dom, bus, dev, fn):
    return "%04x:%02x:%02x.%x" % (dom, bus, dev, fn)


def short_bdf(bdf):
    return bdf[5:] if bdf.startswith("0000:") else bdf


def mac_add(mac, n):
    v = int(mac.replace(":", ""), 16) + n
    h = "%012x" % (v & 0xFFFFFFFFFFFF)
    return ":".join(h[i : i + 2] for i in range(0, 12, 2))


def node_guid_from_mac(mac):
    b = mac.split(":")
    return "".join(b[0:3]) + "0300" + "".join(b[3:6])


def eui64_from_mac(mac):
    b = [int(x, 16) for x in mac.split(":")]
    b[0] ^= 0x02
    return "%02x%02x%02xfffe%02x%02x%02x" % (b[0], b[1], b[2], b[3], b[4], b[5])


def guid_colon(g):
    """'248a07030049aee0' -> '248a:0703:0049:aee0'."""
    return ":".join(g[i : i + 4] for i in range(0, 16, 4))


RATES = {
    # speed name -> (per-lane Gb/s, ibv active_speed text, code)
    "SDR": (2.5, "2.5 Gbps", 1),
    "DDR": (5, "5.0 Gbps", 2),
    "QDR": (10, "10.0 Gbps", 4),
    "FDR": (14, "14.0 Gbps", 16),
    "EDR": (25, "25.0 Gbps", 32),
    "HDR": (50, "50.0 Gbps", 64),
    "NDR": (100, "100.0 Gbps", 128),
}
WIDTHS = {"1X": (1, 1), "2X": (2, 16), "4X": (4, 2), "8X": (8, 4), "12X": (12, 8)}


def port_rate(port):
    lanes, _ = WIDTHS[port.get("width", "4X")]
    per, _, _ = RATES[port.get("speed", "EDR")]
    total = lanes * per
    if total == int(total):
        total = int(total)
    return total


def port_rate_text(port):
    return "%s Gb/sec (%s %s)" % (port_rate(port), port.get("width", "4X"), port.get("speed", "EDR"))


# --------------------------------------------------------------------------- init
DEFAULT_HOST = {
    "iproute2": "6.1",
    "rdma_naming": "kernel",
    "rdma_link_ib_netdev": False,
    "subnet_manager": True,
    "driver_stack": None,
    "mlxconfig_layout": "mft",
    "mstconfig_layout": "mstflint-4.21",
    "mlxconfig_errors": "stdout",
}

BASE_MODULES = ["mlx5_core", "mlx5_ib", "ib_core", "ib_uverbs", "ib_cm", "iw_cm", "rdma_cm"]


def new_state(profile):
    catalog = load_catalog()
    host = dict(DEFAULT_HOST)
    host.update(profile.get("host") or {})
    nics = []
    for i, pn in enumerate(profile.get("nics", [])):
        nic = {
            k: v
            for k, v in pn.items()
            if k not in ("param_groups", "values", "limits", "param_defs", "extra_params", "exclude_params")
        }
        nic["index"] = i
        nports = len(nic.get("ports", []))
        order, params = build_params(catalog, pn, nports)
        nic["param_order"] = order
        nic["params"] = params
        nic["functions"] = []
        nics.append(nic)
    st = {
        "schema": SCHEMA,
        "profile": profile.get("name"),
        "summary": profile.get("summary", ""),
        "created": time.time(),
        "host": host,
        "driver_stack": host.pop("driver_stack", None),
        "runtime": {
            "boot_count": 0,
            "booted_at": time.time(),
            "netns": "shared",
            "netns_persistent": None,
            "privileged_qkey": False,
            "copy_on_fork": True,
            "monitor": False,
            "mst_started": False,
            "pods": 0,
            "loaded_modules": [],
            "rdma_index": 0,
            "ifindex": 10,
        },
        "faults": {},
        "nics": nics,
    }
    return st


# --------------------------------------------------------------------------- derived hardware
def param_cur(nic, name, default=None):
    p = nic["params"].get(name)
    return default if p is None else p["current"]


def link_layer_for_port(nic, n):
    fixed = nic.get("link_layer")
    if fixed:
        return fixed
    lt = param_cur(nic, "LINK_TYPE_P%d" % n)
    if lt is None:
        return "InfiniBand"
    return "Ethernet" if lt == 2 else "InfiniBand"


def sriov_total(nic):
    """sriov_totalvfs of each PF, or None when the SR-IOV capability is not exposed."""
    en = param_cur(nic, "SRIOV_EN", 0)
    if not en:
        return None
    return int(param_cur(nic, "NUM_OF_VFS", 0) or 0)


def _rdma_name(st, bdf, link_layer, used):
    naming = st["host"].get("rdma_naming", "kernel")
    if naming == "persistent":
        dom, bus, dev, fn = parse_bdf(bdf)
        prefix = "ib" if link_layer == "InfiniBand" else "roce"
        dpart = "P%d" % dom if dom else ""
        return "%s%sp%ds%d" % (prefix, dpart, bus, dev) + ("f%d" % fn)
    k = 0
    while "mlx5_%d" % k in used:
        k += 1
    return "mlx5_%d" % k


def all_rdma_names(st):
    names = set()
    for nic in st["nics"]:
        for f in nic["functions"]:
            names.add(f["rdma_dev"])
            for vf in f.get("vfs", []):
                names.add(vf["rdma_dev"])
    return names


def _next(st, key):
    rt = st["runtime"]
    v = rt[key]
    rt[key] = v + 1
    return v


def lid_for(guid):
    return int(guid[-4:], 16) % 250 + 2


def build_functions(st, only=None):
    """(Re)create the PF list of every NIC (or of the NIC ``only``) from the current firmware values.

    VFs of the rebuilt NICs are dropped. A full rebuild (boot) restarts the device index counters.
    """
    rt = st["runtime"]
    if only is None:
        rt["rdma_index"] = 0
        rt["ifindex"] = 10
        used = set()
    else:
        used = set()
        for other in st["nics"]:
            if other is only:
                continue
            for f in other["functions"]:
                used.add(f["rdma_dev"])
                for vf in f.get("vfs", []):
                    used.add(vf["rdma_dev"])
    for nic in st["nics"]:
        if only is not None and nic is not only:
            continue
        dom, bus, dev, fn0 = parse_bdf(nic["bdf"])
        funcs = []
        total = sriov_total(nic)
        for n, port in enumerate(nic.get("ports", []), start=1):
            fn = fn0 + n - 1
            bdf = fmt_bdf(dom, bus, dev, fn)
            ll = link_layer_for_port(nic, n)
            mac = mac_add(nic["mac"], n - 1)
            node_guid = node_guid_from_mac(mac)
            port_guid = node_guid if ll == "InfiniBand" else eui64_from_mac(mac)
            name = _rdma_name(st, bdf, ll, used)
            used.add(name)
            if ll == "InfiniBand":
                netdev = port.get("ib_netdev") or "ib%d" % (n - 1)
            else:
                netdev = port.get("eth_netdev") or "eth%d" % (n - 1)
            link_up = port.get("cable", True)
            f = {
                "fn": fn,
                "port": n,
                "bdf": bdf,
                "rdma_dev": name,
                "rdma_index": _next(st, "rdma_index"),
                "link_layer": ll,
                "netdev": netdev,
                "ifindex": _next(st, "ifindex"),
                "mac": mac,
                "node_guid": node_guid,
                "port_guid": port_guid,
                "sys_image_guid": node_guid_from_mac(nic["mac"]),
                "lid": lid_for(node_guid) if ll == "InfiniBand" else 0,
                "link_up": bool(link_up),
                "width": port.get("width", "4X"),
                "speed": port.get("speed", "EDR"),
                "sriov_totalvfs": total,
                "sriov_numvfs": 0 if total is not None else None,
                "vfs": [],
            }
            funcs.append(f)
        nic["functions"] = funcs


def port_state(st, f, is_vf=False):
    """(state code, state name, phys code, phys name) of a port, kernel sysfs style."""
    if is_vf:
        return 1, "DOWN", 5, "LinkUp"
    if not f.get("link_up", True):
        return 1, "DOWN", 2, "Polling"
    if f["link_layer"] == "InfiniBand" and not st["host"].get("subnet_manager", True):
        return 2, "INIT", 5, "LinkUp"
    return 4, "ACTIVE", 5, "LinkUp"


def port_lids(st, f, is_vf=False):
    """(lid, sm_lid) as sysfs shows them."""
    if f["link_layer"] != "InfiniBand":
        return 0, 0
    if is_vf:
        return 0xFFFF, 0
    if not st["host"].get("subnet_manager", True) or not f.get("link_up", True):
        return 0xFFFF, 0
    return f["lid"], 1


# --------------------------------------------------------------------------- VFs
def vf_bdf(nic, f, i):
    dom, bus, dev, _fn = parse_bdf(f["bdf"])
    # VF routing IDs: PF RID + offset + i*stride; PFs after the first start past the earlier PFs' VFs.
    offset = nic.get("vf_offset", 2)
    nfuncs = len(nic["functions"])
    extra = len(nic.get("extra_functions", []))
    per_pf = max(int(param_cur(nic, "NUM_OF_VFS", 0) or 0), 0)
    base_fn = (dev << 3) + parse_bdf(nic["bdf"])[3]
    start = base_fn + max(offset, nfuncs + extra) + (f["fn"] - parse_bdf(nic["bdf"])[3]) * per_pf
    rid = (bus << 8) + start + i
    b, d = rid >> 8, rid & 0xFF
    return fmt_bdf(dom, b, d >> 3, d & 7)


def _vf_netdev(f, i, taken):
    pf = f["netdev"]
    if f["link_layer"] == "InfiniBand" and pf.startswith("ib") and pf[2:].isdigit():
        k = 0
        while "ib%d" % k in taken:
            k += 1
        return "ib%d" % k
    base = pf
    cut = base.rfind("np")
    if cut > 0 and base[cut + 2 :].isdigit():
        base = base[:cut]
    return "%sv%d" % (base, i)


def all_netdevs(st):
    names = set()
    for nic in st["nics"]:
        for f in nic["functions"]:
            names.add(f["netdev"])
            for vf in f.get("vfs", []):
                names.add(vf["netdev"])
    return names


def set_numvfs(st, nic, f, n):
    """Create or destroy VFs (no validation here; see sysfs.validate_numvfs)."""
    if n == 0:
        f["vfs"] = []
        f["sriov_numvfs"] = 0
        return
    used = all_rdma_names(st)
    taken = all_netdevs(st)
    vfs = []
    for i in range(n):
        bdf = vf_bdf(nic, f, i)
        name = _rdma_name(st, bdf, f["link_layer"], used)
        used.add(name)
        nd = _vf_netdev(f, i, taken)
        taken.add(nd)
        if f["link_layer"] == "InfiniBand":
            mac = "00:00:00:00:00:00"
            guid = "0000000000000000"
            port_guid = guid
        else:
            base = int(f["mac"].replace(":", ""), 16)
            v = (0x02 << 40) | ((base & 0xFFFFFFFF) << 8 & 0xFFFFFFFFFF) | (i & 0xFF)
            h = "%012x" % (v & 0xFFFFFFFFFFFF)
            mac = ":".join(h[j : j + 2] for j in range(0, 12, 2))
            guid = node_guid_from_mac(mac)
            port_guid = eui64_from_mac(mac)
        vfs.append(
            {
                "vf": i,
                "bdf": bdf,
                "rdma_dev": name,
                "rdma_index": _next(st, "rdma_index"),
                "link_layer": f["link_layer"],
                "netdev": nd,
                "ifindex": _next(st, "ifindex"),
                "mac": mac,
                "node_guid": guid,
                "port_guid": port_guid,
                "sys_image_guid": f["sys_image_guid"],
                "width": f["width"],
                "speed": f["speed"],
                "lid": 0,
            }
        )
    f["vfs"] = vfs
    f["sriov_numvfs"] = n


# --------------------------------------------------------------------------- lookups
def iter_functions(st):
    for nic in st["nics"]:
        for f in nic["functions"]:
            yield nic, f, None
            for vf in f.get("vfs", []):
                yield nic, f, vf


def find_pf(st, key):
    """PF by BDF (with/without domain), netdev or RDMA device name."""
    for nic in st["nics"]:
        for f in nic["functions"]:
            if key in (f["bdf"], short_bdf(f["bdf"]), f["netdev"], f["rdma_dev"]):
                return nic, f
    return None, None


def mst_name(st, nic, fn=None, device_id=None):
    """/dev/mst name (without directory): mt<devid decimal>_pciconf<N>[.<fn>]."""
    devid = device_id or nic["device_id"]
    did = int(devid, 16)
    n = 0
    for other in st["nics"]:
        if other is nic:
            break
        ids = [other["device_id"]] + [x["device_id"] for x in other.get("extra_functions", [])]
        if devid in ids:
            n += 1
    base = "mt%d_pciconf%d" % (did, n)
    fn0 = parse_bdf(nic["bdf"])[3]
    if fn is not None and fn != fn0:
        base += ".%d" % fn
    return base
