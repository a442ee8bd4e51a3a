# ruff: noqa: UP031 - printf-style formats on purpose: they mirror the printf formats of the simulated tools
"""`hwsim`: administration of the simulated hardware (not a real tool).

hwsim profiles                          list the bundled profiles
hwsim init --profile NAME [--iproute2 5.3|6.1|6.7|6.13] [--sm on|off] [--mlxconfig-errors stdout|stderr]
           [--mlxconfig-layout L] [--mstconfig-layout L] [--rdma-naming kernel|persistent]
hwsim boot                              simulated reboot (run by hwsim-boot.service at container start)
hwsim show [--json]                     summary (JSON: the whole state)
hwsim param NAME [--nic BDF]            {"default", "current", "next"} of a firmware parameter (JSON)
hwsim fw set [--nic BDF] [--default] [--current] [--next] NAME=VALUE...   edit firmware values directly
hwsim fault set tool_error TOOL [--rc N] [--stdout TEXT] [--stderr TEXT] [--match TEXT] [--count N]
hwsim fault set set_ignored [PARAM...]  (no PARAM: all)
hwsim fault set reboot_no_take [PARAM...]
hwsim fault set latency_ms MS [TOOL]
hwsim fault set fwreset_fail | boot_hang SECONDS
hwsim fault clear [NAME] | hwsim fault show
hwsim pods N                            number of extra network namespaces (simulated pods)
hwsim sm on|off                         subnet manager present on the IB fabric
hwsim driver install [--name NAME] --version V | driver remove | driver show
hwsim vfs PF N                          set sriov_numvfs with the kernel's checks (PF: BDF, netdev, RDMA dev)
hwsim sync                              reconcile sriov_numvfs files written by others
hwsim watch [--interval S]              keep reconciling (hwsim-sync.service)
hwsim calls [TOOL] [--count] [--json] [--clear]
hwsim boots [--count] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time

from .. import faults as F
from .. import fw, hw, sysfs
from .. import state as S


def _p(s=""):
    sys.stdout.write(s + "\n")


def _e(s):
    sys.stderr.write(s + "\n")


def _bindir(argv0):
    env = os.environ.get("HWSIM_BINDIR")
    if env:
        return env
    return os.path.dirname(os.path.abspath(argv0)) if argv0 and os.path.sep in argv0 else None


def cmd_profiles(a):
    for name in S.list_profiles():
        prof = S.load_profile(name)
        _p("%-14s %s" % (name, prof.get("summary", "")))
    return 0


def _overrides(a):
    ov = {}
    if getattr(a, "iproute2", None):
        ov["iproute2"] = a.iproute2
    if getattr(a, "sm", None):
        ov["subnet_manager"] = a.sm == "on"
    if getattr(a, "mlxconfig_errors", None):
        ov["mlxconfig_errors"] = a.mlxconfig_errors
    if getattr(a, "rdma_naming", None):
        ov["rdma_naming"] = a.rdma_naming
    if getattr(a, "mlxconfig_layout", None):
        ov["mlxconfig_layout"] = a.mlxconfig_layout
    if getattr(a, "mstconfig_layout", None):
        ov["mstconfig_layout"] = a.mstconfig_layout
    return ov


def cmd_init(a):
    with S.Locked(required=False) as L:
        st = hw.init(a.profile, _overrides(a))
        L.state = st
        L.save()
    _p(
        "hwsim: initialised %s from profile %s (state %s, sysfs %s)"
        % (", ".join(n["bdf"] for n in st["nics"]), st["profile"], S.state_dir(), S.sysfs_root())
    )
    return 0


def _default_profile():
    path = os.path.join(S.host_root(), "etc", "hwsim", "profile")
    try:
        with open(path, encoding="utf-8") as f:
            name = f.read().strip()
        return name or None
    except OSError:
        return None


def cmd_boot(a):
    with S.Locked(required=False) as L:
        if L.state is None:
            prof = _default_profile()
            if not prof:
                _p("hwsim: no simulated hardware in %s and no /etc/hwsim/profile; nothing to boot" % S.state_dir())
                return 0
            st = hw.init(prof)
            L.state = st
            L.save()
            _p("hwsim: first start: initialised from profile %s" % prof)
            return 0
        rec = hw.boot(L.state)
        L.save()
    applied = sum(len(v) for v in rec["applied"].values())
    nt = sum(len(v) for v in rec["not_taken"].values())
    _p(
        "hwsim: boot %d: %d firmware value(s) applied, %d not taken; netns %s"
        % (rec["boot"], applied, nt, rec["netns"])
    )
    return 0


def _summary(st):
    rt = st["runtime"]
    lines = [
        "profile:   %s" % st["profile"],
        "boot:      %d (booted at %s)"
        % (rt["boot_count"], time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(rt["booted_at"]))),
        "netns:     %s (modprobe.d: %s), pods: %d, privileged-qkey: %s"
        % (rt["netns"], rt.get("netns_persistent"), rt.get("pods", 0), "on" if rt.get("privileged_qkey") else "off"),
        "mst:       %s" % ("started" if rt.get("mst_started") else "stopped"),
        "driver:    %s"
        % (
            ("%s-%s" % (st["driver_stack"]["name"], st["driver_stack"]["version"]))
            if st.get("driver_stack")
            else "inbox"
        ),
        "modules:   %s" % " ".join(rt.get("loaded_modules", [])),
    ]
    for nic in st["nics"]:
        lines.append(
            "nic %s %s (15b3:%s) fw %s psid %s"
            % (nic["bdf"], nic["device_type"], nic["device_id"], nic["fw_ver"], nic["psid"])
        )
        for f in nic["functions"]:
            lines.append(
                "  %s %s %s %s sriov %s/%s"
                % (
                    f["bdf"],
                    f["rdma_dev"],
                    f["netdev"],
                    f["link_layer"],
                    f.get("sriov_numvfs"),
                    f.get("sriov_totalvfs"),
                )
            )
        pend = [n for n in nic["param_order"] if nic["params"][n]["next"] != nic["params"][n]["current"]]
        if pend:
            lines.append("  pending (next boot != current): %s" % ", ".join(pend))
    return "\n".join(lines)


def cmd_show(a):
    with S.Locked() as L:
        st = L.state
    if a.json:
        st = dict(st)
        st["faults"] = F.load()
        _p(json.dumps(st, indent=1))
    else:
        _p(_summary(st))
    return 0


def _pick_nic(st, bdf):
    if not st["nics"]:
        raise S.StateError("hwsim: no NIC in the state")
    if not bdf:
        return st["nics"][0]
    for nic in st["nics"]:
        for f in nic["functions"]:
            if bdf in (f["bdf"], S.short_bdf(f["bdf"]), f["rdma_dev"], f["netdev"]):
                return nic
    raise S.StateError("hwsim: no NIC %s" % bdf)


def cmd_param(a):
    with S.Locked() as L:
        nic = _pick_nic(L.state, a.nic)
        p = nic["params"].get(a.name)
        if p is None:
            _e("hwsim: %s has no parameter %s" % (nic["bdf"], a.name))
            return 1
        _p(
            json.dumps(
                {
                    "name": a.name,
                    "default": p["default"],
                    "current": p["current"],
                    "next": p["next"],
                    "display": {k: fw.display(p, p[k]) for k in ("default", "current", "next")},
                }
            )
        )
    return 0


def cmd_fw_set(a):
    targets = [t for t in ("default", "current", "next") if getattr(a, t)]
    if not targets:
        targets = ["current", "next"]
    with S.Locked() as L:
        nic = _pick_nic(L.state, a.nic)
        for kv in a.assignments:
            k, _, v = kv.partition("=")
            p = nic["params"].get(k)
            if p is None:
                _e("hwsim: %s has no parameter %s" % (nic["bdf"], k))
                return 1
            try:
                code = fw.resolve_symbolic(p, v)
            except fw.FwError as e:
                _e("hwsim: %s: %s" % (k, e))
                return 1
            for t in targets:
                p[t] = code
        if "current" in targets:
            S.build_functions(L.state)
            sysfs.render(L.state)
        L.dirty = True
    return 0


def cmd_fault(a):
    faults = F.load()
    if a.action == "show":
        _p(json.dumps(faults, indent=1, sort_keys=True))
        return 0
    if a.action == "clear":
        if a.name:
            faults.pop(a.name, None)
        else:
            faults = {}
        F.save(faults)
        return 0
    name = a.name
    if name not in F.KNOBS:
        _e("hwsim: unknown fault %r (known: %s)" % (name, ", ".join(F.KNOBS)))
        return 2
    rest = a.rest
    if name == "tool_error":
        ap = argparse.ArgumentParser(prog="hwsim fault set tool_error")
        ap.add_argument("tool")
        ap.add_argument("--rc", type=int)
        ap.add_argument("--stdout")
        ap.add_argument("--stderr")
        ap.add_argument("--match")
        ap.add_argument("--count", type=int)
        t = ap.parse_args(rest)
        spec = {
            k: v
            for k, v in (
                ("rc", t.rc),
                ("stdout", t.stdout),
                ("stderr", t.stderr),
                ("match", t.match),
                ("count", t.count),
            )
            if v is not None
        }
        faults.setdefault("tool_error", {})[t.tool] = spec
    elif name in ("set_ignored", "reboot_no_take"):
        faults[name] = rest or ["*"]
    elif name == "latency_ms":
        if not rest:
            _e("hwsim: latency_ms needs MS [TOOL]")
            return 2
        faults.setdefault("latency_ms", {})[rest[1] if len(rest) > 1 else "*"] = float(rest[0])
    elif name == "fwreset_fail":
        faults["fwreset_fail"] = True
    elif name == "boot_hang":
        faults["boot_hang"] = float(rest[0]) if rest else 3600.0
    F.save(faults)
    return 0


def cmd_pods(a):
    with S.Locked() as L:
        L.state["runtime"]["pods"] = max(0, int(a.count))
        L.dirty = True
    return 0


def cmd_sm(a):
    with S.Locked() as L:
        L.state["host"]["subnet_manager"] = a.state == "on"
        sysfs.render(L.state)
        L.dirty = True
    return 0


def cmd_driver(a, argv0):
    bindir = _bindir(argv0)
    with S.Locked() as L:
        st = L.state
        if a.action == "show":
            _p(json.dumps(st.get("driver_stack")))
            return 0
        if a.action == "install":
            if not a.version:
                _e("hwsim: driver install needs --version")
                return 2
            st["driver_stack"] = {"name": a.name, "version": a.version}
        else:
            st["driver_stack"] = None
        L.dirty = True
    if bindir:
        link = os.path.join(bindir, "ofed_info")
        target = os.path.join(bindir, "hwsim")
        try:
            if a.action == "install":
                if not os.path.lexists(link) and os.path.lexists(target):
                    os.symlink(os.readlink(target) if os.path.islink(target) else "hwsim", link)
            elif os.path.islink(link):
                os.unlink(link)
        except OSError as e:
            _e("hwsim: could not update %s: %s" % (link, e))
    return 0


def cmd_vfs(a):
    with S.Locked() as L:
        st = L.state
        sysfs.sync_sriov(st)
        nic, f = S.find_pf(st, a.pf)
        if f is None:
            _e("hwsim: no PF %s" % a.pf)
            return 1
        if f.get("sriov_totalvfs") is None:
            _e("hwsim: %s: sriov_numvfs: No such file or directory (SR-IOV is off in the firmware)" % f["bdf"])
            L.dirty = True
            return 1
        err = sysfs.apply_numvfs(st, nic, f, str(a.count), source="hwsim vfs")
        L.dirty = True
        sysfs.render(st)
        if err:
            _e("hwsim: write %s/sriov_numvfs: %s" % (f["bdf"], err))
            return 1
    S.append_jsonl(
        "calls.jsonl",
        {"tool": "hwsim", "argv": ["hwsim", "vfs", a.pf, str(a.count)], "ts": round(time.time(), 6), "rc": 0, "ms": 0},
    )
    return 0


def _sync_once():
    with S.Locked() as L:
        changed, errors = sysfs.sync_sriov(L.state)
        if changed:
            L.dirty = True
            sysfs.render(L.state)
    return changed, errors


def cmd_sync(a):
    _changed, errors = _sync_once()
    for bdf, val, err in errors:
        _e("hwsim: %s: sriov_numvfs write %r refused: %s" % (bdf, val, err))
    return 1 if errors else 0


class _Inotify:
    """Minimal inotify(7) through ctypes: wake up as soon as a sriov_numvfs file is written."""

    IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE = 0x8, 0x80, 0x100

    def __init__(self):
        import ctypes
        import ctypes.util

        self.libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self.fd = self.libc.inotify_init1(0o4000 | 0o2000000)  # IN_NONBLOCK | IN_CLOEXEC
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")

    def watch(self, path):
        mask = self.IN_CLOSE_WRITE | self.IN_MOVED_TO | self.IN_CREATE
        return self.libc.inotify_add_watch(self.fd, os.fsencode(path), mask) >= 0

    def wait(self, timeout):
        import select

        r, _, _ = select.select([self.fd], [], [], timeout)
        if r:
            try:
                while os.read(self.fd, 65536):
                    pass
            except BlockingIOError:
                pass
        return bool(r)

    def close(self):
        os.close(self.fd)


def _watch_dirs():
    with S.Locked() as L:
        st = L.state
    root = S.sysfs_root()
    dirs = [root]
    for nic in st["nics"]:
        for f in nic["functions"]:
            if f.get("sriov_totalvfs") is not None:
                dirs.append(os.path.join(root, "bus", "pci", "devices", f["bdf"]))
    return dirs


def cmd_watch(a):
    """Reconcile sriov_numvfs writes: on inotify events (immediately), else every --interval seconds."""
    interval = a.interval
    ino = None
    watched_root = None
    while True:
        try:
            if S.exists():
                _sync_once()
                root = S.sysfs_root()
                try:
                    ident = os.stat(root).st_ino
                except OSError:
                    ident = None
                if ino is None or ident != watched_root:
                    if ino is not None:
                        ino.close()
                        ino = None
                    try:
                        ino = _Inotify()
                        for d in _watch_dirs():
                            ino.watch(d)
                        watched_root = ident
                    except (OSError, AttributeError):
                        ino = None
        except S.StateError:
            pass
        except Exception as e:  # keep the watcher alive
            _e("hwsim watch: %s" % e)
        if ino is not None:
            ino.wait(max(interval, 2.0))
        else:
            time.sleep(interval)


def cmd_calls(a):
    if a.clear:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(S.log_path("calls.jsonl"))
        return 0
    recs = [r for r in S.read_jsonl("calls.jsonl") if not a.tool or r.get("tool") == a.tool]
    if a.count:
        _p(str(len(recs)))
    elif a.json:
        _p(json.dumps(recs))
    else:
        for r in recs:
            _p("%.3f %s rc=%s %sms" % (r["ts"], " ".join(r["argv"]), r.get("rc"), r.get("ms")))
    return 0


def cmd_boots(a):
    recs = S.read_jsonl("boots.jsonl")
    if a.count:
        _p(str(len([r for r in recs if r.get("kind") == "boot"])))
    elif a.json:
        _p(json.dumps(recs))
    else:
        for r in recs:
            _p(json.dumps(r))
    return 0


def build_parser():
    ap = argparse.ArgumentParser(prog="hwsim", description="simulated RDMA NIC hardware (lab)")
    sub = ap.add_subparsers(dest="cmd")
    sub.add_parser("profiles")
    p = sub.add_parser("init")
    p.add_argument("--profile", required=True)
    p.add_argument("--iproute2")
    p.add_argument("--sm", choices=("on", "off"))
    p.add_argument("--mlxconfig-errors", dest="mlxconfig_errors", choices=("stdout", "stderr"))
    p.add_argument("--rdma-naming", dest="rdma_naming", choices=("kernel", "persistent"))
    layouts = ("mstflint-4.21", "mstflint-4.22", "mft")
    p.add_argument("--mlxconfig-layout", dest="mlxconfig_layout", choices=layouts)
    p.add_argument("--mstconfig-layout", dest="mstconfig_layout", choices=layouts)
    sub.add_parser("boot")
    p = sub.add_parser("show")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("param")
    p.add_argument("name")
    p.add_argument("--nic")
    p = sub.add_parser("fw")
    fsub = p.add_subparsers(dest="fwcmd")
    q = fsub.add_parser("set")
    q.add_argument("--nic")
    q.add_argument("--default", action="store_true")
    q.add_argument("--current", action="store_true")
    q.add_argument("--next", action="store_true")
    q.add_argument("assignments", nargs="+")
    p = sub.add_parser("fault")
    p.add_argument("action", choices=("set", "clear", "show"))
    p.add_argument("name", nargs="?")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p = sub.add_parser("pods")
    p.add_argument("count", type=int)
    p = sub.add_parser("sm")
    p.add_argument("state", choices=("on", "off"))
    p = sub.add_parser("driver")
    p.add_argument("action", choices=("install", "remove", "show"))
    p.add_argument("--name", default="MLNX_OFED_LINUX")
    p.add_argument("--version")
    p = sub.add_parser("vfs")
    p.add_argument("pf")
    p.add_argument("count")
    sub.add_parser("sync")
    p = sub.add_parser("watch")
    p.add_argument("--interval", type=float, default=0.2)
    p = sub.add_parser("calls")
    p.add_argument("tool", nargs="?")
    p.add_argument("--count", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--clear", action="store_true")
    p = sub.add_parser("boots")
    p.add_argument("--count", action="store_true")
    p.add_argument("--json", action="store_true")
    return ap


def main(args, argv0="hwsim"):
    ap = build_parser()
    a = ap.parse_args(args)
    if not a.cmd:
        sys.stdout.write(__doc__.split("\n", 2)[2])
        return 0
    try:
        if a.cmd == "fault" and a.action == "set" and not a.name:
            _e("hwsim: fault set needs a NAME")
            return 2
        if a.cmd == "fw":
            return cmd_fw_set(a)
        if a.cmd == "driver":
            return cmd_driver(a, argv0)
        return globals()["cmd_" + a.cmd](a)
    except S.StateError as e:
        _e(str(e))
        return 1
