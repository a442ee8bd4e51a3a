# ruff: noqa: UP031 - printf-style formats on purpose: they mirror the printf formats of the simulated tools
"""mlxfwreset (MFT) / mstfwreset (mstflint): -d DEV [-y] [-l LEVEL] q|query|r|reset.

Output follows mstflint small_utils/mstfwreset.py. A successful reset makes Next Boot the Current value
for every parameter except those that need a host reboot (PCI BAR layout: needs_host_reboot in the
catalog) and those named by the reboot_no_take fault; VFs are destroyed (driver restart).
Fault fwreset_fail: the steps run, then `-E- Firmware reset failed, retry operation or reboot machine.`
"""

from __future__ import annotations

import sys

from .. import faults as F
from .mlxconfig import resolve_device

LEVELS = [
    (0, 'Driver, PCI link, network link will remain up ("live-Patch")'),
    (3, "Driver restart and PCI reset"),
    (4, "Warm Reboot"),
]


def _step(ctx, name, result="Done"):
    ctx.out("-I- %-40s-%s\n" % (name, result))


def main(ctx):
    st = ctx.st
    args = list(ctx.args)
    dev = None
    yes = False
    level = None
    cmd = None
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-d", "--device"):
            dev = args[i + 1] if i + 1 < len(args) else None
            i += 1
        elif a in ("-y", "--yes"):
            yes = True
        elif a in ("-l", "--level", "--reset_level"):
            level = args[i + 1] if i + 1 < len(args) else None
            i += 1
        elif a in ("q", "query", "r", "reset", "reset_fsm_register"):
            cmd = {"q": "query", "r": "reset"}.get(a, a)
        elif a in ("-t", "--type", "--reset_type", "--sync", "--pci_link_downtime", "-m", "--mst_flags"):
            i += 1
        i += 1
    if cmd is None:
        ctx.out("-E- No command given.\n")
        return 1
    if dev is None:
        ctx.out("-E- Device is not specified in command line. Please use -d/--device.\n")
        return 1
    nic = resolve_device(st, dev, "mlxconfig")
    if nic is None:
        ctx.out("-E- Failed to open device: %s.\n" % dev)
        return 1
    ctx.out("\n")
    if cmd == "query":
        ctx.out("Reset-levels:\n")
        for lv, desc in LEVELS:
            ctx.out("%d: %-68s-Supported%s\n" % (lv, desc, "     (default)" if lv == 3 else ""))
        ctx.out("\nReset-types (relevant only for reset-levels 3,4):\n")
        ctx.out("0: %-68s-Supported     (default)\n" % "Full chip reset")
        ctx.out("1: %-68s-Not Supported\n" % "Phy-less reset (keep network port active during reset)")
        ctx.out("\nReset-sync (relevant only for reset-level 3):\n")
        ctx.out("0: %-68s-Supported     (default)\n" % "Tool is the owner")
        ctx.out("1: %-68s-Supported\n" % "Driver is the owner")
        return 0
    if cmd == "reset_fsm_register":
        ctx.out("-I- FSM register was reset successfully.\n")
        return 0
    lv = 3
    if level is not None:
        try:
            lv = int(level)
        except ValueError:
            ctx.out("-E- Reset-level '%s' is not supported in the current state of this device.\n" % level)
            return 1
        if lv not in (0, 3, 4):
            ctx.out("-E- Reset-level '%d' is not supported in the current state of this device.\n" % lv)
            return 1
    desc = dict(LEVELS)[lv]
    ctx.out("%s reset level for device, %s:\n\n" % ("Minimal" if level is None else "Requested", dev))
    ctx.out("%d: %s\n" % (lv, desc))
    ctx.out("Continue with reset?[y/N] ")
    if yes:
        ctx.out("y\n")
    else:
        line = sys.stdin.readline()
        if not line:
            ctx.out("-E- EOF when reading a line.\n")
            return 1
        if line.strip().lower() not in ("y", "yes"):
            ctx.out("-E- Aborted by user.\n")
            return 1
    faults = F.load()
    _step(ctx, "Sending Reset Command To Fw")
    _step(ctx, "Stopping Driver")
    _step(ctx, "Resetting PCI")
    _step(ctx, "Starting Driver")
    _step(ctx, "Restarting MST", "Done" if st["runtime"].get("mst_started") else "Skipped")
    if faults.get("fwreset_fail"):
        ctx.out("-E- Firmware reset failed, retry operation or reboot machine.\n")
        return 1
    from .. import hw

    hw.fwreset(st, nic)
    ctx.dirty()
    ctx.out("-I- FW was loaded successfully.\n")
    return 0
