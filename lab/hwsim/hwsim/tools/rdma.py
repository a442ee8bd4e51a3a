# ruff: noqa: UP031 - printf-style formats on purpose: they mirror the printf formats of the simulated tools
"""rdma (iproute2): system [show|set netns|set privileged-qkey], link [show], dev [show], res [show].

Text follows iproute2 rdma/sys.c, link.c, dev.c, utils.c of the version named by host.iproute2:
  "5.3"  : `netns shared`
  "6.1"  : `netns shared copy-on-fork on`                        (Debian 12)
  "6.7"  : `netns shared privileged-qkey off copy-on-fork on`    (+ `system set privileged-qkey`)
  "6.13" : `netns shared privileged-qkey off monitor off copy-on-fork on`
`link` and `dev` lines end with a space (every attribute is printed as "%s %s "). A netns switch that
the kernel refuses (other network namespaces exist: simulated pods) fails the way rd_recv_msg reports
a netlink error: perror("error") -> `error: Device or resource busy` on stderr, exit status 1.
"""

from __future__ import annotations

from .. import state as S
from ..store import encode

LINK_STATE = {1: "DOWN", 2: "INIT", 3: "ARMED", 4: "ACTIVE"}
PHYS_STATE = {1: "SLEEP", 2: "POLLING", 3: "DISABLED", 4: "ARMED", 5: "LINK_UP", 6: "LINK_ERROR_RECOVER"}


def _ver(st):
    v = str(st["host"].get("iproute2", "6.1"))
    try:
        major, minor = v.split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return 6, 1


def matches(arg, keyword):
    """iproute2 matches(): arg is a non-empty prefix of keyword."""
    return bool(arg) and keyword.startswith(arg)


class R:
    def __init__(self, ctx):
        self.ctx = ctx
        self.json = False
        self.details = False
        self.rc = 0

    def out(self, s):
        self.ctx.out(s)

    def err(self, s):
        self.ctx.err(s)


def _exec(r, args, table, what):
    """rd_exec_cmd(): first entry is the default; unknown words print an error and return 0."""
    if not args:
        return table[0][1](r, [])
    for kw, fn in table[1:]:
        if matches(args[0], kw):
            return fn(r, args[1:])
    r.err("Unknown %s '%s'.\n" % (what, args[0]))
    return 0


# --------------------------------------------------------------------------- system
def _sys_show(r, args):
    st = r.ctx.st
    rt = st["runtime"]
    ver = _ver(st)
    if r.json:
        obj = {"netns": rt["netns"]}
        if ver >= (6, 7):
            obj["privileged-qkey"] = bool(rt.get("privileged_qkey"))
        if ver >= (6, 13):
            obj["monitor"] = bool(rt.get("monitor"))
        if ver >= (5, 13):
            obj["copy-on-fork"] = bool(rt.get("copy_on_fork", True))
        r.out(encode([obj]) + "\n")
        return 0
    onoff = lambda b: "on" if b else "off"  # noqa: E731
    if ver < (5, 13):
        r.out("netns %s\n" % rt["netns"])
        return 0
    s = "netns %s " % rt["netns"]
    if ver >= (6, 7):
        s += "privileged-qkey %s " % onoff(rt.get("privileged_qkey"))
    if ver >= (6, 13):
        s += "monitor %s " % onoff(rt.get("monitor"))
    s += "copy-on-fork %s\n" % onoff(rt.get("copy_on_fork", True))
    r.out(s)
    return 0


def _sys_set_help(r, args):
    r.out("Usage: rdma system set [PARAM] value\n")
    r.out("            system set netns { shared | exclusive }\n")
    if _ver(r.ctx.st) >= (6, 7):
        r.out("            system set privileged-qkey { on | off }\n")
    return 0


def _sys_set_netns(r, args):
    st = r.ctx.st
    if not args or args[0] not in ("shared", "exclusive"):
        r.err("valid options are: { shared | exclusive }\n")
        return 1
    want = args[0]
    rt = st["runtime"]
    if want == rt["netns"]:
        return 0
    if int(rt.get("pods", 0)) > 0:
        # kernel rdma_compatdev_set(): -EBUSY while any non-init net namespace exists
        r.err("error: Device or resource busy\n")
        return 1
    rt["netns"] = want
    r.ctx.dirty(rerender=False)
    from .. import sysfs

    sysfs.render_modules(S.sysfs_root(), st)
    return 0


def _sys_set_qkey(r, args):
    if not args:
        r.err("valid options are: { on | off }\n")
        return 1
    val = args[0]
    if matches(val, "off"):
        on = False
    elif matches(val, "on"):
        on = True
    else:
        r.err('Error: argument of "privileged-qkey" must be one of "off", "on", not "%s"\n' % val)
        return 1
    r.ctx.st["runtime"]["privileged_qkey"] = on
    r.ctx.dirty(rerender=False)
    return 0


def _sys_set(r, args):
    table = [(None, _sys_set_help), ("help", _sys_set_help), ("netns", _sys_set_netns)]
    if _ver(r.ctx.st) >= (6, 7):
        table.append(("privileged-qkey", _sys_set_qkey))
    return _exec(r, args, table, "parameter")


def _sys_help(r, args):
    r.out("Usage: rdma system show [ netns ]\n")
    r.out("       rdma system set netns { shared | exclusive }\n")
    return 0


def _sys_show_cmd(r, args):
    table = [(None, _sys_show), ("netns", _sys_show)]
    if _ver(r.ctx.st) >= (6, 7):
        table.append(("privileged-qkey", _sys_show))
    if _ver(r.ctx.st) >= (6, 13):
        table.append(("monitor", _sys_show))
    return _exec(r, args, table, "parameter")


def cmd_sys(r, args):
    return _exec(
        r,
        args,
        [(None, _sys_show_cmd), ("show", _sys_show_cmd), ("set", _sys_set), ("help", _sys_help)],
        "system command",
    )


# --------------------------------------------------------------------------- link / dev
def _devices(st):
    out = []
    for nic, f, vf in S.iter_functions(st):
        out.append((nic, f, vf))
    out.sort(key=lambda t: (t[2] or t[1])["rdma_index"])
    return out


def _filter_dev(r, args, allow_port):
    """Returns (list or None on error, port or None)."""
    devs = _devices(r.ctx.st)
    if not args:
        return devs, None
    name = args[0]
    port = None
    if allow_port and "/" in name:
        name, _, p = name.rpartition("/")
        try:
            port = int(p)
        except ValueError:
            port = -1
    sel = [t for t in devs if (t[2] or t[1])["rdma_dev"] == name]
    if not sel or (port is not None and port != 1):
        r.err("Wrong device name\n")
        return None, None
    return sel, port


def _link_show(r, args):
    st = r.ctx.st
    sel, _port = _filter_dev(r, args, True)
    if sel is None:
        return 1
    objs = []
    lines = []
    for _nic, f, vf in sel:
        obj = vf or f
        sc, _sn, pc, _pn = S.port_state(st, f, is_vf=vf is not None)
        lid, sm_lid = S.port_lids(st, f if vf is None else dict(vf, link_layer=f["link_layer"]), is_vf=vf is not None)
        ib = f["link_layer"] == "InfiniBand"
        show_netdev = (not ib) or st["host"].get("rdma_link_ib_netdev")
        d = {"ifindex": obj["rdma_index"], "ifname": obj["rdma_dev"], "port": 1}
        s = "link %s/1 " % obj["rdma_dev"]
        if ib:
            s += "subnet_prefix fe80:0000:0000:0000 lid %d sm_lid %d lmc 0 " % (lid, sm_lid)
            d.update({"subnet_prefix": "fe80:0000:0000:0000", "lid": lid, "sm_lid": sm_lid, "lmc": 0})
        s += "state %s physical_state %s " % (LINK_STATE.get(sc, "UNKNOWN"), PHYS_STATE.get(pc, "UNKNOWN"))
        d.update({"state": LINK_STATE.get(sc, "UNKNOWN"), "physical_state": PHYS_STATE.get(pc, "UNKNOWN")})
        if show_netdev:
            s += "netdev %s " % obj["netdev"]
            if r.details:
                s += "netdev_index %d " % obj["ifindex"]
            d.update({"netdev": obj["netdev"], "netdev_index": obj["ifindex"]})
        lines.append(s + "\n")
        objs.append(d)
    if r.json:
        r.out(encode(objs) + "\n")
    else:
        r.out("".join(lines))
    return 0


def cmd_link(r, args):
    return _exec(
        r, args, [(None, _link_show), ("show", _link_show), ("list", _link_show), ("help", _link_help)], "command"
    )


def _link_help(r, args):
    r.out("Usage: rdma link show [DEV/PORT_INDEX]\n")
    return 0


def _dev_show(r, args):
    sel, _ = _filter_dev(r, args, False)
    if sel is None:
        return 1
    objs = []
    lines = []
    for nic, f, vf in sel:
        obj = vf or f
        ng = S.guid_colon(obj["node_guid"])
        sg = S.guid_colon(obj["sys_image_guid"])
        lines.append(
            "%d: %s: node_type ca fw %s node_guid %s sys_image_guid %s \n"
            % (obj["rdma_index"], obj["rdma_dev"], nic["fw_ver"], ng, sg)
        )
        objs.append(
            {
                "ifindex": obj["rdma_index"],
                "ifname": obj["rdma_dev"],
                "node_type": "ca",
                "fw": nic["fw_ver"],
                "node_guid": ng,
                "sys_image_guid": sg,
            }
        )
    if r.json:
        r.out(encode(objs) + "\n")
    else:
        r.out("".join(lines))
    return 0


def _dev_help(r, args):
    r.out("Usage: rdma dev show [DEV]\n")
    return 0


def cmd_dev(r, args):
    return _exec(r, args, [(None, _dev_show), ("show", _dev_show), ("list", _dev_show), ("help", _dev_help)], "command")


def _res_show(r, args):
    for _nic, f, vf in _devices(r.ctx.st):
        obj = vf or f
        r.out("%d: %s: pd 1 cq 1 qp 1 cm_id 0 mr 0 ctx 0 srq 0 \n" % (obj["rdma_index"], obj["rdma_dev"]))
    return 0


def cmd_res(r, args):
    return _exec(r, args, [(None, _res_show), ("show", _res_show)], "command")


def cmd_stat(r, args):
    return 0


def cmd_help(r, args):
    r.out(
        "Usage: rdma [ OPTIONS ] OBJECT { COMMAND | help }\n"
        "       rdma [ -f[orce] ] -b[atch] filename\n"
        "where  OBJECT := { dev | link | resource | system | statistic | help }\n"
        "       OPTIONS := { -V[ersion] | -d[etails] | -j[son] | -p[retty] -r[aw]}\n"
    )
    return 0


def main(ctx):
    r = R(ctx)
    args = list(ctx.args)
    while args and args[0].startswith("-") and len(args[0]) > 1:
        a = args.pop(0)
        if a in ("-V", "-Version", "--version"):
            ctx.out("rdma utility, iproute2-%s.0\n" % ".".join(map(str, _ver(ctx.st))))
            return 0
        if a in ("-j", "-json", "--json"):
            r.json = True
        elif a in ("-p", "-pretty", "--pretty", "-r", "--raw", "-f", "--force", "-o", "--oneline"):
            pass
        elif a in ("-d", "-details", "--details", "-dd"):
            r.details = True
        elif a in ("-h", "-help", "--help"):
            return cmd_help(r, [])
        else:
            ctx.err("Unknown option.\n")
            cmd_help(r, [])
            return 1
    table = [
        (None, cmd_help),
        ("help", cmd_help),
        ("dev", cmd_dev),
        ("link", cmd_link),
        ("resource", cmd_res),
        ("system", cmd_sys),
        ("statistic", cmd_stat),
    ]
    return _exec(r, args, table, "object")
