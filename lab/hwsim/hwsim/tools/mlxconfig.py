# ruff: noqa: UP031 - printf-style formats on purpose: they mirror the printf formats of the simulated tools
"""mlxconfig (NVIDIA MFT) and mstconfig (mstflint): q / -e q / set / reset.

Output follows mstflint's mlxconfig/mlxcfg_ui.cpp (the open-source base of both tools):
  layout "mstflint-4.21" (Debian 12 mstflint 4.21; older MFT): 16-col labels, 9-col indent + 36-col
      names, 16-col value cells, `*` marker replacing the first indent column;
  layout "mstflint-4.22" (mstflint 4.22-4.25): as 4.21 with 44-col names (values at col 53);
  layout "mft" (MFT/mstflint 4.26+): 20-col labels, `<*><RO>` + 5 spaces + 44-col names, 20-col cells,
      and the "The 'RO' shows ..." trailer when a read-only parameter is listed.
Errors are `-E- ...` lines printed with printf, i.e. on stdout, and the exit code is 3 (MLX_CFG_ERROR)
or 2 (MLX_CFG_ABORTED); the state's host.mlxconfig_errors = "stderr" moves them to stderr.
"""

from __future__ import annotations

import sys

from .. import faults as F
from .. import fw
from .. import state as S

MLX_CFG_OK, MLX_CFG_ABORTED, MLX_CFG_ERROR = 0, 2, 3

LAYOUTS = {
    "mstflint-4.21": {
        "label": 16,
        "hdr_next": "%-16s%38s",
        "hdr_def_cur": "%-16s%36s%16s%18s",
        "name_w": 36,
        "cell": 16,
        "space_if_over": 16,  # print " " when the previous cell printed more than this
        "ro": False,
    },
    "mstflint-4.22": {
        "label": 16,
        "hdr_next": "%-16s%46s",
        "hdr_def_cur": "%-16s%44s%16s%18s",
        "name_w": 44,
        "cell": 16,
        "space_if_over": 16,
        "ro": False,
    },
    "mft": {
        "label": 20,
        "hdr_next": "%-20s%41s",
        "hdr_def_cur": "%-20s%39s%21s%23s",
        "name_w": 44,
        "cell": 20,
        "space_if_over": 19,
        "ro": True,
    },
}
NEXT = "Next Boot"


class Out:
    def __init__(self, ctx, err_to_stderr):
        self.ctx = ctx
        self.err_to_stderr = err_to_stderr

    def p(self, s):
        self.ctx.out(s)

    def e(self, msg):
        line = "-E- %s\n" % msg
        if self.err_to_stderr:
            self.ctx.err(line)
        else:
            self.ctx.out(line)


def main_mlxconfig(ctx):
    return _main(ctx, "mlxconfig")


def main_mstconfig(ctx):
    return _main(ctx, "mstconfig")


def _usage(o, prog):
    o.p("\n    NAME:\n        %s\n\n    SYNOPSIS:\n        %s [Options] <commands> [Parameters]\n\n" % (prog, prog))
    o.p(
        "    COMMANDS SUMMARY:\n        q|query                  : query supported configurations.\n"
        "        r|reset                  : reset all configurations to their default value.\n"
        "        s|set                    : set configurations to a specific device.\n\n"
    )


def _parse(args):
    opts = {"device": None, "yes": False, "verbose": False, "cmd": None, "params": [], "error": None}
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-d", "--dev"):
            if i + 1 >= len(args):
                opts["error"] = "missing device name"
                return opts
            opts["device"] = args[i + 1]
            i += 2
            continue
        if a in ("-y", "--yes"):
            opts["yes"] = True
        elif a in ("-e", "--enable_verbosity"):
            opts["verbose"] = True
        elif a in ("-h", "--help"):
            opts["cmd"] = "help"
            return opts
        elif a in ("-v", "--version"):
            opts["cmd"] = "version"
            return opts
        elif a in ("-b", "--db", "-f", "--file", "--dev_type", "-t"):
            i += 2
            continue
        elif a in ("q", "query"):
            opts["cmd"] = "query"
            opts["params"] = args[i + 1 :]
            return opts
        elif a in ("s", "set"):
            opts["cmd"] = "set"
            opts["params"] = args[i + 1 :]
            return opts
        elif a in ("r", "reset"):
            opts["cmd"] = "reset"
            opts["params"] = args[i + 1 :]
            return opts
        else:
            opts["error"] = "invalid argument: %s" % a
            return opts
        i += 1
    opts["error"] = "No command found. For more information please read the help message:"
    return opts


def resolve_device(st, dev, tool):
    """The NIC a -d argument names, or None (mlxconfig: "Failed to open the device")."""
    if dev is None:
        return None
    if dev.startswith("/dev/mst/"):
        if tool != "mlxconfig" or not st["runtime"].get("mst_started"):
            return None
        name = dev[len("/dev/mst/") :]
        for nic in st["nics"]:
            for f in nic["functions"]:
                if S.mst_name(st, nic, f["fn"]) == name:
                    return nic
        return None
    key = dev.lower()
    for nic in st["nics"]:
        for f in nic["functions"]:
            if key in (f["bdf"], S.short_bdf(f["bdf"])) or dev == f["rdma_dev"]:
                return nic
    return None


def _cells(lay, values):
    """Value cells with PRINT_SPACE_IF_NEEDED between them."""
    s = ""
    width = 0
    for k, v in enumerate(values):
        if k and width > lay["space_if_over"]:
            s += " "
        cell = "%-*s" % (lay["cell"], v)
        s += cell
        width = len(cell)
    return s


def _row(lay, name, values, modified, ro=False):
    if lay["ro"]:
        prefix = "%s%s     %-*s" % ("*" if modified else " ", "RO" if ro else "  ", lay["name_w"], name)
    else:
        prefix = ("*        " if modified else "         ") + "%-*s" % (lay["name_w"], name)
    return prefix + _cells(lay, values) + "\n"


def _opening(o, lay, nic, dev, index=1):
    lw = lay["label"]
    o.p("\nDevice #%d:\n----------\n\n" % index)
    o.p("%-*s%-*s\n" % (lw, "Device type:", lw, nic["device_type"]))
    o.p("%-*s%-*s\n" % (lw, "Name:", lw, nic.get("part_number") or "N/A"))
    o.p("%-*s%-*s\n" % (lw, "Description:", lw, nic.get("description") or "N/A"))
    o.p("%-*s%-*s\n" % (lw, "Device:", lw, dev))


def _conf_header(lay, verbose, new):
    if verbose:
        s = lay["hdr_def_cur"] % ("Configurations:", "Default", "Current", NEXT)
    else:
        s = lay["hdr_next"] % ("Configurations:", NEXT)
    if new:
        s += "       New"
    return s + "\n"


def _expand_query_names(nic, names):
    """[(display name, param name, element index or None)]; raises FwError for unknown names."""
    known = None
    out = []
    for raw in names:
        base, idx = fw.split_indexed(raw)
        p = nic["params"].get(base)
        if p is None:
            if known is None:
                known = S.known_param_names()
            if base in known:
                raise fw.FwError("The Device doesn't support %s parameter" % raw)
            raise fw.FwError("Unknown Parameter: %s" % raw)
        if idx is None:
            out.append((base, base, None))
        else:
            if p["type"] != "array":
                raise fw.FwError("Unknown Parameter: %s" % raw)
            length = p.get("length", 8)
            for i in idx:
                if i >= length:
                    raise fw.FwError(
                        "Index %d of the parameter %s is out of range. Maximal index is %d" % (i, base, length - 1)
                    )
                out.append(("%s[%d]" % (base, i), base, i))
    return out


def _val(p, which, idx):
    v = p[which]
    if idx is None:
        return fw.display(p, v)
    return fw.display_element(p, v[idx])


def _raw(p, which, idx):
    v = p[which]
    return v if idx is None else v[idx]


def _query(ctx, o, lay, st, nic, dev, verbose, names, index=1):
    _opening(o, lay, nic, dev, index)
    o.p("\n")
    o.p(_conf_header(lay, verbose, False))
    try:
        rows = _expand_query_names(nic, names) if names else [(n, n, None) for n in nic["param_order"]]
    except fw.FwError as e:
        o.e(str(e))
        return MLX_CFG_ERROR
    differ = False
    any_ro = False
    for disp, name, idx in rows:
        p = nic["params"][name]
        nxt = _raw(p, "next", idx)
        if verbose:
            modified = nxt != _raw(p, "default", idx) or nxt != _raw(p, "current", idx)
            vals = [_val(p, "default", idx), _val(p, "current", idx), _val(p, "next", idx)]
        else:
            modified = False
            vals = [_val(p, "next", idx)]
        ro = bool(p.get("ro"))
        any_ro = any_ro or ro
        differ = differ or modified
        o.p(_row(lay, disp, vals, modified, ro and lay["ro"]))
    if differ:
        o.p("The '*' shows parameters with next value different from default/current value.\n")
    if any_ro and lay["ro"]:
        o.p("\nThe 'RO' shows parameters which are for read only and cannot be changed\n")
    return MLX_CFG_OK


def _ask(ctx, o, yes, question):
    o.p("\n %s (y/n) [n] : " % question)
    if yes:
        o.p("y\n")
        return True
    line = ""
    try:
        line = sys.stdin.readline()
    except (OSError, ValueError):
        line = ""
    return line.strip().lower() in ("y", "yes")


def _parse_set_args(params):
    out = []
    seen = set()
    for a in params:
        if "=" not in a:
            raise fw.FwError("Invalid Configuration argument %s" % a)
        k, v = a.split("=", 1)
        if not k or not v:
            raise fw.FwError("Invalid Configuration argument %s" % a)
        if k in seen:
            raise fw.FwError("Duplicate parameter, %s." % k)
        seen.add(k)
        out.append((k, v))
    return out


def _set(ctx, o, lay, st, nic, dev, pairs, yes):
    _opening(o, lay, nic, dev)
    o.p("\n")
    o.p(_conf_header(lay, False, True))
    parsed = []
    known = None
    try:
        for k, v in pairs:
            base, idx = fw.split_indexed(k)
            p = nic["params"].get(base)
            if p is None:
                if known is None:
                    known = S.known_param_names()
                if base in known:
                    # parsed against the DB first, then rejected when the device is queried
                    raise fw.FwError("The Device doesn't support %s parameter" % k)
                raise fw.FwError("Unknown Parameter: %s" % k)
            if p["type"] == "array":
                if idx is None or len(idx) != 1:
                    raise fw.FwError("Unknown Parameter: %s" % k)
                i = idx[0]
                if i >= p.get("length", 8):
                    raise fw.FwError(
                        "Index %d of the parameter %s is out of range. Maximal index is %d"
                        % (i, base, p.get("length", 8) - 1)
                    )
                elem = {"type": "int", "bits": p.get("bits", 8)}
                code = fw.parse_value(elem, v)
                parsed.append((k, base, i, code))
            else:
                code = fw.parse_value(p, v)
                parsed.append((k, base, None, code))
    except fw.FwError as e:
        o.e(str(e))
        return MLX_CFG_ERROR
    for disp, base, i, code in parsed:
        p = nic["params"][base]
        if i is None:
            cur = fw.display(p, p["next"])
            new = fw.display(p, code)
        else:
            cur = str(p["next"][i])
            new = str(code)
        o.p(_row(lay, disp, [cur, new], False, bool(p.get("ro")) and lay["ro"]))
    if not _ask(ctx, o, yes, "Apply new Configuration?"):
        o.e("Aborted by user.")
        return MLX_CFG_ABORTED
    o.p("Applying... ")
    try:
        for disp, base, i, code in parsed:
            p = nic["params"][base]
            if p.get("ro"):
                raise fw.FwError("The Parameter %s is read only" % disp)
            if i is None:
                fw.check_rules(base, p, code)
    except fw.FwError as e:
        o.p("Failed!\n")
        o.e(str(e))
        return MLX_CFG_ERROR
    faults = F.load()
    for _disp, base, i, code in parsed:
        if F.param_listed(faults, "set_ignored", base):
            continue
        p = nic["params"][base]
        if i is None:
            p["next"] = code
        else:
            # copy: the loaded state may share one list between default/current/next (marshal refs)
            p["next"] = list(p["next"])
            p["next"][i] = code
    ctx.dirty(rerender=False)
    o.p("Done!\n")
    o.p("-I- Please reboot machine to load new configurations.\n")
    return MLX_CFG_OK


def _reset(ctx, o, st, nic, dev, yes):
    if not _ask(ctx, o, yes, "Reset configuration for device %s?" % dev):
        o.e("Aborted by user.")
        return MLX_CFG_ABORTED
    o.p("Applying... ")
    faults = F.load()
    for name, p in nic["params"].items():
        if F.param_listed(faults, "set_ignored", name):
            continue
        p["next"] = list(p["default"]) if isinstance(p["default"], list) else p["default"]
    ctx.dirty(rerender=False)
    o.p("Done!\n")
    o.p("-I- Please reboot machine to load new configurations.\n")
    return MLX_CFG_OK


def _main(ctx, tool):
    st = ctx.st
    host = st["host"]
    layout_key = host.get("mlxconfig_layout" if tool == "mlxconfig" else "mstconfig_layout") or (
        "mft" if tool == "mlxconfig" else "mstflint-4.21"
    )
    lay = LAYOUTS.get(layout_key, LAYOUTS["mstflint-4.21"])
    o = Out(ctx, host.get("mlxconfig_errors", "stdout") == "stderr")
    opts = _parse(ctx.args)
    if opts["cmd"] == "help":
        _usage(o, tool)
        return MLX_CFG_OK
    if opts["cmd"] == "version":
        if tool == "mstconfig":
            o.p("mstconfig, mstflint 4.21.0, Git SHA Hash: N/A\n")
        else:
            o.p("mlxconfig, mft 4.30.1-113, built on Nov 11 2024, 14:03:34. Git SHA Hash: N/A\n")
        return MLX_CFG_OK
    if opts["error"]:
        o.e(opts["error"])
        _usage(o, tool)
        return MLX_CFG_ERROR
    cmd = opts["cmd"]
    dev = opts["device"]
    if cmd == "set":
        if dev is None:
            o.e("set command expects device to be specified.")
            return MLX_CFG_ERROR
        if not opts["params"]:
            o.e("missing configuration arguments. For more information please run %s -h|--help." % tool)
            _usage(o, tool)
            return MLX_CFG_ERROR
        try:
            pairs = _parse_set_args(opts["params"])
        except fw.FwError as e:
            o.e(str(e))
            _usage(o, tool)
            return MLX_CFG_ERROR
        nic = resolve_device(st, dev, tool)
        if nic is None:
            o.e("Failed to open the device")
            return MLX_CFG_ERROR
        return _set(ctx, o, lay, st, nic, dev, pairs, opts["yes"])
    if cmd == "reset":
        if opts["params"]:
            o.e("%s command expects no argument but %d argument received" % ("reset", len(opts["params"])))
            _usage(o, tool)
            return MLX_CFG_ERROR
        if dev is None:
            rc = MLX_CFG_OK
            for nic in st["nics"]:
                rc = max(rc, _reset(ctx, o, st, nic, nic["bdf"], opts["yes"]))
            return rc
        nic = resolve_device(st, dev, tool)
        if nic is None:
            if not _ask(ctx, o, opts["yes"], "Reset configuration for device %s?" % dev):
                o.e("Aborted by user.")
                return MLX_CFG_ABORTED
            o.p("Applying... Failed!\n")
            o.e("Failed to open the device")
            return MLX_CFG_ERROR
        return _reset(ctx, o, st, nic, dev, opts["yes"])
    # query
    if dev is None:
        rc = MLX_CFG_OK
        k = 0
        for nic in st["nics"]:
            for f in nic["functions"]:
                k += 1
                r = _query(ctx, o, lay, st, nic, f["bdf"], opts["verbose"], opts["params"], k)
                rc = max(rc, r)
        if k == 0:
            o.e("No devices found.")
            return MLX_CFG_ERROR
        return rc
    nic = resolve_device(st, dev, tool)
    if nic is None:
        o.e("Failed to open the device")
        return MLX_CFG_ERROR
    return _query(ctx, o, lay, st, nic, dev, opts["verbose"], opts["params"])
