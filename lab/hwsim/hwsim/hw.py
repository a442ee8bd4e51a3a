"""Hardware life cycle: power-on (init), boot, firmware reset; host configuration read at boot."""

from __future__ import annotations

import contextlib
import copy
import glob
import os
import time

from . import faults as F
from . import state as S
from . import sysfs

MODPROBE_DIRS = ("lib/modprobe.d", "usr/lib/modprobe.d", "usr/local/lib/modprobe.d", "run/modprobe.d", "etc/modprobe.d")
MODULES_LOAD_DIRS = (
    "lib/modules-load.d",
    "usr/lib/modules-load.d",
    "usr/local/lib/modules-load.d",
    "run/modules-load.d",
    "etc/modules-load.d",
)


def _config_files(dirs, pattern="*.conf"):
    """modprobe.d / modules-load.d semantics: one file per basename, /etc over /run over /usr/lib
    over /lib; processed in lexical order of the basename."""
    root = S.host_root()
    chosen = {}
    for d in dirs:  # later dirs override earlier ones
        for p in glob.glob(os.path.join(root, d, pattern)):
            chosen[os.path.basename(p)] = p
    return [chosen[k] for k in sorted(chosen)]


def _logical_lines(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return []
    text = text.replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        out.append(line)
    return out


def modprobe_options(module):
    """{param: value} from every `options <module> k=v ...` line (last one wins)."""
    want = module.replace("-", "_")
    opts = {}
    for path in _config_files(MODPROBE_DIRS):
        for line in _logical_lines(path):
            words = line.split()
            if len(words) >= 3 and words[0] == "options" and words[1].replace("-", "_") == want:
                for kv in words[2:]:
                    if "=" in kv:
                        k, v = kv.split("=", 1)
                        opts[k.replace("-", "_")] = v.strip('"')
                    else:
                        opts[kv.replace("-", "_")] = "1"
    return opts


def netns_mode_from_config():
    """'shared' / 'exclusive' from `options ib_core netns_mode=`, and the raw value (None if unset)."""
    raw = modprobe_options("ib_core").get("netns_mode")
    if raw is None:
        return "shared", None
    v = raw.strip().lower()
    if v in ("0", "n", "no", "off", "false"):
        return "exclusive", raw
    if v in ("1", "y", "yes", "on", "true"):
        return "shared", raw
    return "shared", raw  # the kernel rejects the bad value and keeps its default


def modules_from_config():
    mods = []
    for path in _config_files(MODULES_LOAD_DIRS):
        for line in _logical_lines(path):
            if line.startswith(";"):
                continue
            mods.append(line.split()[0].replace("-", "_"))
    legacy = os.path.join(S.host_root(), "etc", "modules")
    for line in _logical_lines(legacy):
        mods.append(line.split()[0].replace("-", "_"))
    return mods


def _loaded_modules(st):
    mods = list(S.BASE_MODULES)
    if any(f["link_layer"] == "InfiniBand" for nic in st["nics"] for f in nic["functions"]):
        mods.append("ib_ipoib")
    if st.get("driver_stack"):
        mods.insert(0, "mlx_compat")
    for m in modules_from_config():
        if m not in mods:
            mods.append(m)
    return mods


def _apply_pending(nic, faults, skip_host_reboot=False):
    applied, not_taken, pending = {}, [], []
    for name in nic["param_order"]:
        p = nic["params"][name]
        if p["current"] == p["next"]:
            continue
        if F.param_listed(faults, "reboot_no_take", name):
            not_taken.append(name)
            continue
        if skip_host_reboot and p.get("needs_host_reboot"):
            pending.append(name)
            continue
        applied[name] = [p["current"], p["next"]]
        p["current"] = copy.deepcopy(p["next"])
    return applied, not_taken, pending


def power_on(st):
    """Bring up freshly initialised hardware: PFs, runtime from host config, sysfs. Not a reboot."""
    S.build_functions(st)
    rt = st["runtime"]
    rt["netns"], rt["netns_persistent"] = netns_mode_from_config()
    rt["loaded_modules"] = _loaded_modules(st)
    rt["booted_at"] = time.time()
    sysfs.render(st)


def init(profile_name, overrides=None):
    prof = S.load_profile(profile_name)
    if overrides:
        prof.setdefault("host", {}).update(overrides)
    st = S.new_state(prof)
    os.makedirs(S.state_dir(), exist_ok=True)
    for name in ("calls.jsonl", "boots.jsonl", "kmsg.log"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(S.log_path(name))
    F.save({})
    power_on(st)
    return st


def boot(st):
    """A simulated reboot: Next Boot -> Current, VFs gone, runtime settings from the host config."""
    faults = F.load()
    hang = faults.get("boot_hang")
    if hang:
        time.sleep(float(hang))
    record = {"kind": "boot", "ts": round(time.time(), 6), "applied": {}, "not_taken": {}}
    for nic in st["nics"]:
        applied, not_taken, _ = _apply_pending(nic, faults)
        if applied:
            record["applied"][nic["bdf"]] = applied
        if not_taken:
            record["not_taken"][nic["bdf"]] = not_taken
    S.build_functions(st)
    rt = st["runtime"]
    rt["mst_started"] = False
    rt["privileged_qkey"] = False
    rt["netns"], rt["netns_persistent"] = netns_mode_from_config()
    rt["loaded_modules"] = _loaded_modules(st)
    rt["boot_count"] = rt.get("boot_count", 0) + 1
    rt["booted_at"] = time.time()
    record["boot"] = rt["boot_count"]
    record["netns"] = rt["netns"]
    S.append_jsonl("boots.jsonl", record)
    sysfs.render(st)
    return record


def fwreset(st, nic):
    """mlxfwreset: the firmware reloads its configuration without a host reboot (PCI reset level 3)."""
    faults = F.load()
    applied, not_taken, pending = _apply_pending(nic, faults, skip_host_reboot=True)
    S.build_functions(st, only=nic)
    record = {
        "kind": "fwreset",
        "ts": round(time.time(), 6),
        "bdf": nic["bdf"],
        "applied": applied,
        "not_taken": not_taken,
        "pending_host_reboot": pending,
        "boot": st["runtime"].get("boot_count", 0),
    }
    S.append_jsonl("boots.jsonl", record)
    return record
