# ruff: noqa: UP031 - printf-style formats on purpose: they mirror the printf formats of the simulated tools
"""lspci (pciutils) for the simulated NIC functions only: plain, -n, -nn, -D, -d V:D, -s SLOT, -k, -v[vv].

Names are those of pci.ids (2023.04). The real lspci stays installed (e.g. /usr/bin/lspci) for the
container's other devices; this one lists the simulated Mellanox functions only.
"""

from __future__ import annotations

from .. import state as S

NAMES = {
    "1013": "MT27700 Family [ConnectX-4]",
    "1014": "MT27700 Family [ConnectX-4 Virtual Function]",
    "1015": "MT27710 Family [ConnectX-4 Lx]",
    "1016": "MT27710 Family [ConnectX-4 Lx Virtual Function]",
    "1017": "MT27800 Family [ConnectX-5]",
    "1018": "MT27800 Family [ConnectX-5 Virtual Function]",
    "1019": "MT28800 Family [ConnectX-5 Ex]",
    "101a": "MT28800 Family [ConnectX-5 Ex Virtual Function]",
    "101b": "MT28908 Family [ConnectX-6]",
    "101c": "MT28908 Family [ConnectX-6 Virtual Function]",
    "101d": "MT2892 Family [ConnectX-6 Dx]",
    "101e": "ConnectX Family mlx5Gen Virtual Function",
    "101f": "MT2894 Family [ConnectX-6 Lx]",
    "1021": "MT2910 Family [ConnectX-7]",
    "1023": "CX8 Family [ConnectX-8]",
    "a2d6": "MT42822 BlueField-2 integrated ConnectX-6 Dx network controller",
    "a2dc": "MT43244 BlueField-3 integrated ConnectX-7 network controller",
    "c2d1": "BlueField DPU Family Auxiliary Communication Channel [BlueField Family]",
}
CLASS = {"0207": "Infiniband controller", "0200": "Ethernet controller", "0801": "DMA controller"}


def _entries(st):
    out = []
    for nic in st["nics"]:
        for f in nic["functions"]:
            cls = "0207" if f["link_layer"] == "InfiniBand" else "0200"
            out.append(
                {
                    "bdf": f["bdf"],
                    "dev": nic["device_id"],
                    "cls": cls,
                    "rev": nic.get("chip_rev", 0),
                    "nic": nic,
                    "f": f,
                    "vf": None,
                }
            )
            for vf in f.get("vfs", []):
                out.append(
                    {
                        "bdf": vf["bdf"],
                        "dev": nic["vf_device_id"],
                        "cls": cls,
                        "rev": nic.get("chip_rev", 0),
                        "nic": nic,
                        "f": f,
                        "vf": vf,
                    }
                )
        for x in nic.get("extra_functions", []):
            dom, bus, dev, _fn = S.parse_bdf(nic["bdf"])
            out.append(
                {
                    "bdf": S.fmt_bdf(dom, bus, dev, x["fn"]),
                    "dev": x["device_id"],
                    "cls": x.get("class", "0801"),
                    "rev": nic.get("chip_rev", 0),
                    "nic": nic,
                    "f": None,
                    "vf": None,
                    "name": x.get("name"),
                }
            )
    out.sort(key=lambda e: e["bdf"])
    return out


def _match_slot(spec, bdf):
    dom, bus, dev, fn = bdf.split(":")[0], bdf.split(":")[1], bdf.split(":")[2].split(".")[0], bdf.split(".")[1]
    parts = spec.split(":")
    if len(parts) == 3:
        sd, sb, rest = parts
    elif len(parts) == 2:
        sd, sb, rest = "", parts[0], parts[1]
    else:
        sd, sb, rest = "", "", parts[0]
    sdev, _, sfn = rest.partition(".")

    def ok(s, v):
        return s in ("", "*") or int(s, 16) == int(v, 16)

    try:
        return ok(sd, dom) and ok(sb, bus) and ok(sdev, dev) and ok(sfn, fn)
    except ValueError:
        return False


def main(ctx):
    st = ctx.st
    numeric = 0
    domains = False
    verbose = 0
    kernel = False
    vend = devf = None
    slot = None
    args = list(ctx.args)
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-D":
            domains = True
        elif a == "-k":
            kernel = True
        elif a.startswith("-v") and set(a[1:]) == {"v"}:
            verbose = len(a) - 1
        elif a in ("-d", "-s"):
            if i + 1 >= len(args):
                ctx.err("lspci: option requires an argument -- '%s'\n" % a[1])
                return 2
            if a == "-d":
                vend, _, devf = args[i + 1].partition(":")
            else:
                slot = args[i + 1]
            i += 1
        elif a.startswith("-d") and len(a) > 2:
            vend, _, devf = a[2:].partition(":")
        elif a.startswith("-s") and len(a) > 2:
            slot = a[2:]
        elif a.startswith("-") and set(a[1:]) <= set("nDkv"):
            for ch in a[1:]:
                if ch == "n":
                    numeric += 1
                elif ch == "D":
                    domains = True
                elif ch == "k":
                    kernel = True
                elif ch == "v":
                    verbose += 1
        i += 1
    ents = _entries(st)
    if any(not e["bdf"].startswith("0000:") for e in ents):
        domains = True
    for e in ents:
        if vend and vend.lower() not in ("15b3", "*"):
            continue
        if devf and devf.lower() != e["dev"]:
            continue
        if slot and not _match_slot(slot, e["bdf"]):
            continue
        addr = e["bdf"] if domains else S.short_bdf(e["bdf"])
        cname = CLASS.get(e["cls"], "Class %s" % e["cls"])
        name = e.get("name") or NAMES.get(e["dev"], "Device %s" % e["dev"])
        rev = " (rev %02x)" % e["rev"] if e["rev"] else ""
        if numeric >= 2:
            line = "%s %s [%s]: Mellanox Technologies %s [15b3:%s]%s" % (addr, cname, e["cls"], name, e["dev"], rev)
        elif numeric == 1:
            line = "%s %s: 15b3:%s%s" % (addr, e["cls"], e["dev"], rev)
        else:
            line = "%s %s: Mellanox Technologies %s%s" % (addr, cname, name, rev)
        ctx.out(line + "\n")
        if verbose or kernel:
            ctx.out("\tSubsystem: Mellanox Technologies Device 0007\n")
            if verbose:
                ctx.out(
                    "\tFlags: bus master, fast devsel, latency 0, IRQ 16, NUMA node %d\n" % e["nic"].get("numa_node", 0)
                )
            f = e["f"]
            if verbose and f is not None and e["vf"] is None and f.get("sriov_totalvfs") is not None:
                tot = f["sriov_totalvfs"]
                num = f.get("sriov_numvfs") or 0
                if verbose >= 2:
                    ctx.out("\tCapabilities: [180 v1] Single Root I/O Virtualization (SR-IOV)\n")
                    ctx.out("\t\tIOVCap:\tMigration- 10BitTagReq- Interrupt Message Number: 000\n")
                    ctx.out(
                        "\t\tIOVCtl:\tEnable%s Migration- Interrupt- MSE%s ARIHierarchy+ 10BitTagReq-\n"
                        % ("+" if num else "-", "+" if num else "-")
                    )
                    ctx.out("\t\tIOVSta:\tMigration-\n")
                    ctx.out(
                        "\t\tInitial VFs: %d, Total VFs: %d, Number of VFs: %d, Function Dependency Link: %02x\n"
                        % (tot, tot, num, f["fn"])
                    )
                    ctx.out(
                        "\t\tVF offset: %d, stride: 1, Device ID: %s\n"
                        % (e["nic"].get("vf_offset", 2), e["nic"]["vf_device_id"])
                    )
                    ctx.out("\t\tSupported Page Size: 000007ff, System Page Size: 00000001\n")
                    ctx.out("\t\tVF Migration: offset: 00000000, BIR: 0\n")
                else:
                    ctx.out("\tCapabilities: [180] Single Root I/O Virtualization (SR-IOV)\n")
            if e["f"] is not None:
                ctx.out("\tKernel driver in use: mlx5_core\n")
                ctx.out("\tKernel modules: mlx5_core\n")
            ctx.out("\n")
    return 0
