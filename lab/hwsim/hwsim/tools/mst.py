# ruff: noqa: UP031 - printf-style formats on purpose: they mirror the printf formats of the simulated tools
"""mst (MFT): start, stop, restart, status [-v].

Texts follow the MFT `mst` shell script (print_status, start/stop `action` lines, mdevices_info table).
"""

from __future__ import annotations

from .. import state as S

PROG = "MST (Mellanox Software Tools) driver set"


def _modules(ctx, started):
    ctx.out("MST modules:\n------------\n")
    ctx.out("    MST PCI module is not loaded\n")
    if started:
        ctx.out("    MST PCI configuration module loaded\n")
    else:
        ctx.out("    MST PCI configuration module is not loaded\n")


def _dev_rows(st):
    """(device type, mst name or None, bdf, rdma, net, numa) for every function, cards ascending,
    functions descending (the order mdevices_info prints)."""
    rows = []
    for nic in st["nics"]:
        group = []
        for f in nic["functions"]:
            group.append(
                (
                    "%s(rev:%d)" % (nic["device_type"], nic.get("chip_rev", 0)),
                    S.mst_name(st, nic, f["fn"]),
                    f["bdf"],
                    f["rdma_dev"],
                    f["netdev"],
                    nic.get("numa_node", -1),
                )
            )
            for vf in f.get("vfs", []):
                group.append(("NA", None, vf["bdf"], vf["rdma_dev"], vf["netdev"], nic.get("numa_node", -1)))
        for x in nic.get("extra_functions", []):
            dom, bus, dev, _fn = S.parse_bdf(nic["bdf"])
            group.append(
                (
                    "%s(rev:%d)" % (x.get("device_type", nic["device_type"]), nic.get("chip_rev", 0)),
                    S.mst_name(st, nic, x["fn"], x["device_id"]),
                    S.fmt_bdf(dom, bus, dev, x["fn"]),
                    "",
                    "",
                    nic.get("numa_node", -1),
                )
            )
        group.sort(key=lambda r: r[2], reverse=True)
        rows.extend(group)
    return rows


def _status_verbose(ctx, st):
    started = st["runtime"].get("mst_started")
    rows = _dev_rows(st)
    with_domain = any(not r[2].startswith("0000:") for r in rows)
    mst_w = 30 if started else 9
    pci_w = 16 if with_domain else 10
    ctx.out("PCI devices:\n------------\n")
    ctx.out("%-24s%-*s%-*s%-16s%-40s%-6s\n" % ("DEVICE_TYPE", mst_w, "MST", pci_w, "PCI", "RDMA", "NET", "NUMA"))
    for typ, mst, bdf, rdma, net, numa in rows:
        mst_txt = "/dev/mst/%s" % mst if (started and mst) else "NA"
        pci = bdf if with_domain else S.short_bdf(bdf)
        ctx.out(
            "%-24s%-*s%-*s%-16s%-40s%-6s\n\n"
            % (typ, mst_w, mst_txt, pci_w, pci, rdma, ("net-%s" % net) if net else "", numa)
        )


def _status(ctx, st):
    started = st["runtime"].get("mst_started")
    if not started:
        ctx.out("\nPCI Devices:\n------------\n\n")
        seen = False
        for typ, _mst, bdf, _rdma, _net, _numa in _dev_rows(st):
            if typ == "NA":
                continue
            short = S.short_bdf(bdf)
            if short.endswith("1"):
                continue
            ctx.out("%s\n\n" % short)
            seen = True
        if not seen:
            ctx.out("\tNo devices were found.\n\n")
        return
    ctx.out("\nMST devices:\n------------\n")
    for nic in st["nics"]:
        f = nic["functions"][0] if nic["functions"] else None
        if f is None:
            continue
        name = "/dev/mst/%s" % S.mst_name(st, nic, f["fn"])
        ctx.out("%-33s- PCI configuration cycles access.\n" % name)
        ctx.out("%35sdomain:bus:dev.fn=%s addr.reg=88 data.reg=92 cr_bar.gw_offset=-1\n" % ("", f["bdf"]))
        ctx.out("%35sChip revision is: %02X\n" % ("", nic.get("chip_rev", 0)))
    ctx.out("\n")


def main(ctx):
    st = ctx.st
    args = ctx.args
    cmd = args[0] if args else ""
    rt = st["runtime"]
    if cmd == "start":
        ctx.out("Starting %s\n" % PROG)
        if rt.get("mst_started"):
            ctx.out("[warn] mst_pciconf is already loaded, skipping\n")
            ctx.out("Create devices\n")
        else:
            ctx.out("Loading MST PCI module - Success\n")
            ctx.out("Loading MST PCI configuration module - Success\n")
            ctx.out("Create devices\n")
            ctx.out("Unloading MST PCI module (unused) - Success\n")
            rt["mst_started"] = True
            ctx.dirty(rerender=False)
        return 0
    if cmd == "stop":
        ctx.out("Stopping %s\n" % PROG)
        if rt.get("mst_started"):
            ctx.out("Unloading MST PCI configuration module - Success\n")
            rt["mst_started"] = False
            ctx.dirty(rerender=False)
        return 0
    if cmd == "restart":
        ctx.args = ["stop"]
        main(ctx)
        ctx.args = ["start"]
        return main(ctx)
    if cmd == "status":
        verbose = args[1] if len(args) > 1 else ""
        _modules(ctx, rt.get("mst_started"))
        if verbose in ("-v", "-vv"):
            _status_verbose(ctx, st)
            return 0
        if verbose:
            ctx.out('    -E- Unknown argument "%s"\n' % verbose)
            return 1
        _status(ctx, st)
        return 0
    if cmd == "version":
        ctx.out("mst, mft 4.30.1-113, built on Nov 11 2024, 14:03:34. Git SHA Hash: N/A\n")
        return 0
    ctx.out("Usage:\n    mst {start|stop|status|restart|version|help}\n")
    return 1 if cmd else 0
