"""Single entry point: the tool is chosen by the name the launcher was called as (argv[0]).

Per call: optional fault checks (faults.json: tool_error, latency_ms), then the tool runs with the
state locked (sriov_numvfs writes are reconciled first), output is written, and one line is appended
to calls.jsonl.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

TOOLS = {
    "mlxconfig": ("mlxconfig", "main_mlxconfig"),
    "mstconfig": ("mlxconfig", "main_mstconfig"),
    "mst": ("mst", "main"),
    "rdma": ("rdma", "main"),
    "ibstat": ("ibstat", "main"),
    "ibv_devices": ("ibv", "main_devices"),
    "ibv_devinfo": ("ibv", "main_devinfo"),
    "ibdev2netdev": ("ibdev2netdev", "main"),
    "ofed_info": ("ofed_info", "main"),
    "lspci": ("lspci", "main"),
    "mlxfwreset": ("mlxfwreset", "main"),
}

# Installed as links to the launcher (ofed_info only while a driver stack is installed).
INSTALLED_TOOLS = [t for t in TOOLS if t != "ofed_info"] + ["hwsim"]


class Ctx:
    """What a tool gets: its arguments, the locked state and output buffers."""

    def __init__(self, tool, args, lock):
        self.tool = tool
        self.args = args
        self.lock = lock
        self.st = lock.state if lock is not None else None
        self._out = []
        self._err = []
        self.rerender = False

    def out(self, text):
        self._out.append(text)

    def err(self, text):
        self._err.append(text)

    def dirty(self, rerender=True):
        if self.lock is not None:
            self.lock.dirty = True
        if rerender:
            self.rerender = True

    @property
    def faults(self):
        from . import faults

        return faults.load()


def _tool_name(argv0):
    name = os.path.basename(argv0 or "hwsim")
    for suffix in (".py",):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    if name in ("launcher", "__main__", "hwsim-launcher"):
        name = "hwsim"
    return name


def _flush(ctx):
    if ctx._out:
        sys.stdout.write("".join(ctx._out))
        sys.stdout.flush()
    if ctx._err:
        sys.stderr.write("".join(ctx._err))
        sys.stderr.flush()


def run_tool(tool, args):
    """Run one simulated tool; returns its exit code."""
    from . import faults as F
    from . import state as S

    t0 = time.time()
    rc = 1
    try:
        fl = F.load()
        F.apply_latency(fl, tool)
        injected = F.tool_error(fl, tool, args)
        if injected is not None:
            out, err, rc = injected
            if out:
                sys.stdout.write(out)
            if err:
                sys.stderr.write(err)
            return rc
        modname, fname = TOOLS[tool]
        mod = __import__("hwsim.tools." + modname, fromlist=[fname])
        func = getattr(mod, fname)
        try:
            lock = S.Locked(required=True)
            lock.__enter__()
        except S.StateError as e:
            sys.stderr.write(str(e) + "\n")
            rc = 1
            return rc
        ctx = Ctx(tool, args, lock)
        try:
            from . import sysfs

            changed, _errors = sysfs.sync_sriov(lock.state)
            if changed:
                ctx.dirty()
            rc = func(ctx)
            if ctx.rerender:
                sysfs.render(lock.state)
        finally:
            lock.__exit__(None, None, None)
        _flush(ctx)
        return rc
    finally:
        with contextlib.suppress(OSError):
            S.append_jsonl(
                "calls.jsonl",
                {
                    "tool": tool,
                    "argv": [tool, *args],
                    "ts": round(t0, 6),
                    "rc": rc,
                    "ms": round((time.time() - t0) * 1000.0, 3),
                },
            )


def run(argv=None):
    argv = list(sys.argv if argv is None else argv)
    tool = _tool_name(argv[0] if argv else "hwsim")
    args = argv[1:]
    if tool not in TOOLS and tool != "hwsim":
        tool = "hwsim"
    if tool == "hwsim" and args and args[0] in TOOLS:
        tool, args = args[0], args[1:]
    try:
        if tool == "hwsim":
            from .tools import admin

            rc = admin.main(args, argv0=argv[0] if argv else "hwsim")
        else:
            rc = run_tool(tool, args)
    except BrokenPipeError:
        rc = 141
    except KeyboardInterrupt:
        rc = 130
    sys.exit(rc)
