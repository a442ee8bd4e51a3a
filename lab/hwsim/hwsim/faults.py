# ruff: noqa: UP031 - printf-style formats on purpose: they mirror the printf formats of the simulated tools
"""Fault injection, kept in <state>/faults.json so that every tool call can read it cheaply.

Knobs (see README "Faults"):
  tool_error      {tool: {"rc", "stdout", "stderr", "match", "count"}}  the named tool fails
  set_ignored     ["*"] or [PARAM...]   mlxconfig/mstconfig set says Done but Next Boot is unchanged
  reboot_no_take  ["*"] or [PARAM...]   after hwsim boot / mlxfwreset, Current stays (Next is kept)
  latency_ms      {tool or "*": ms}     sleep before every call of the tool
  fwreset_fail    true                  mlxfwreset runs its steps and then reports a failed reset
  boot_hang       seconds               hwsim boot sleeps this long before it applies anything
"""

from __future__ import annotations

import os
import time

from . import state as S
from . import store

KNOBS = ("tool_error", "set_ignored", "reboot_no_take", "latency_ms", "fwreset_fail", "boot_hang")

# What each tool prints when it "fails" and no text is given: the real failure of that tool on a
# host where the device/kernel interface is missing.
DEFAULT_ERRORS = {
    "mlxconfig": ("-E- Failed to open the device\n", "", 3),
    "mstconfig": ("-E- Failed to open the device\n", "", 3),
    "mlxfwreset": ("-E- Failed to open device.\n", "", 1),
    "mst": ("-E- You must be root to use mst tool\n", "", 1),
    "rdma": ("", "Failed to open NETLINK_RDMA socket\n", 1),
    "ibstat": ("", "ibpanic: [1] main: can't init UMAD library: No such file or directory\n", 255),
    "ibv_devices": ("", "Failed to get IB devices list: No such file or directory\n", 1),
    "ibv_devinfo": ("", "Failed to get IB devices list: No such file or directory\n", 255),
    "ibdev2netdev": ("", "", 1),
    "ofed_info": ("", "", 1),
    "lspci": ("", "lspci: Cannot open /sys/bus/pci/devices\n", 1),
}


def path():
    return os.path.join(S.state_dir(), "faults.json")


def load():
    try:
        return store.load(path())
    except (FileNotFoundError, ValueError):
        return {}


def save(faults):
    os.makedirs(S.state_dir(), exist_ok=True)
    store.dump(path(), faults, sort_keys=True)


def apply_latency(faults, tool):
    lat = faults.get("latency_ms") or {}
    ms = lat.get(tool, lat.get("*", 0))
    if ms:
        time.sleep(float(ms) / 1000.0)


def tool_error(faults, tool, args):
    """(stdout, stderr, rc) if a tool_error fault applies to this call, else None."""
    spec = (faults.get("tool_error") or {}).get(tool)
    if spec is None:
        return None
    match = spec.get("match")
    if match and match not in " ".join(args):
        return None
    count = spec.get("count")
    if count is not None:
        if count <= 0:
            return None
        spec["count"] = count - 1
        save(faults)
    d_out, d_err, d_rc = DEFAULT_ERRORS.get(tool, ("", "%s: simulated failure\n" % tool, 1))
    out = spec.get("stdout")
    err = spec.get("stderr")
    if out is None and err is None:
        out, err = d_out, d_err
    rc = spec.get("rc", d_rc)
    return _nl(out or ""), _nl(err or ""), int(rc)


def _nl(s):
    return s if not s or s.endswith("\n") else s + "\n"


def param_listed(faults, knob, name):
    lst = faults.get(knob) or []
    if lst is True:
        return True
    return "*" in lst or name in lst
