# ruff: noqa: UP031 - printf-style formats on purpose: they mirror the printf formats of the simulated tools
"""The sysfs-like tree under HWSIM_SYSFS, rendered from the state.

Layout (mirrors the kernel's; class entries are symlinks into the PCI device directories):

  bus/pci/devices/<bdf>/{vendor,device,class,subsystem_vendor,subsystem_device,revision,numa_node}
  bus/pci/devices/<bdf>/{sriov_totalvfs,sriov_numvfs,sriov_offset,sriov_stride,sriov_vf_device}   (PF, SR-IOV on)
  bus/pci/devices/<bdf>/virtfn<N> -> ../<vf bdf>          bus/pci/devices/<vf>/physfn -> ../<pf bdf>
  bus/pci/devices/<bdf>/driver -> ../../drivers/mlx5_core
  bus/pci/devices/<bdf>/net/<netdev>/{address,operstate,mtu,type,ifindex,carrier,device -> ../../../<bdf>}
  bus/pci/devices/<bdf>/infiniband/<dev>/{node_guid,sys_image_guid,fw_ver,board_id,hca_type,hw_rev,node_type,
        node_desc,device -> ../../../<bdf>,ports/<n>/{state,phys_state,link_layer,rate,lid,sm_lid,sm_sl,
        lid_mask_count,cap_mask,gids/<i>,gid_attrs/types/<i>,gid_attrs/ndevs/<i>}}
  class/net/<netdev> -> ../../bus/pci/devices/<bdf>/net/<netdev>
  class/infiniband/<dev> -> ../../bus/pci/devices/<bdf>/infiniband/<dev>
  module/<name>/ for every loaded module; module/ib_core/parameters/netns_mode (Y shared / N exclusive)

sriov_numvfs is a plain file: a write is not seen until hwsim reconciles (sync_sriov, run at the start of
every tool call, by `hwsim sync` and by the optional `hwsim watch` loop). A write the kernel would refuse
is reverted at that point and logged to kmsg.log (see README "Differences from the kernel").
"""

from __future__ import annotations

import os

from . import state as S

IB_CAP_MASK = "0x2651e848"
ETH_CAP_MASK = "0x04010000"


def _w(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")


def _mk(path):
    os.makedirs(path, exist_ok=True)


def _link(target, path):
    try:
        os.symlink(target, path)
    except FileExistsError:
        os.unlink(path)
        os.symlink(target, path)


def ib_gid(prefix, guid):
    return "fe80:0000:0000:0000:" + S.guid_colon(guid) if prefix is None else prefix + S.guid_colon(guid)


def gid_full(guid):
    return "fe80:0000:0000:0000:" + S.guid_colon(guid)


def gid_v2(guid):
    """inet_ntop form of fe80::<eui64>."""
    groups = [guid[i : i + 4].lstrip("0") or "0" for i in range(0, 16, 4)]
    return "fe80::" + ":".join(groups)


def rate_text(f):
    return S.port_rate_text(f)


def _write_ib_dev(st, nic, base, f, vf, pci_dir):
    d = os.path.join(pci_dir, "infiniband", (vf or f)["rdma_dev"])
    _mk(d)
    obj = vf or f
    dev_id = nic["vf_device_id"] if vf else nic["device_id"]
    _w(os.path.join(d, "node_guid"), S.guid_colon(obj["node_guid"]))
    _w(os.path.join(d, "sys_image_guid"), S.guid_colon(obj["sys_image_guid"]))
    _w(os.path.join(d, "fw_ver"), nic["fw_ver"])
    _w(os.path.join(d, "board_id"), nic["psid"])
    _w(os.path.join(d, "hca_type"), "MT%d" % int(dev_id, 16))
    _w(os.path.join(d, "hw_rev"), nic.get("hw_rev", "0x0"))
    _w(os.path.join(d, "node_type"), "1: CA")
    _w(os.path.join(d, "node_desc"), "%s %s" % (os.uname().nodename, obj["rdma_dev"]))
    _link("../../../%s" % obj["bdf"], os.path.join(d, "device"))
    pd = os.path.join(d, "ports", "1")
    _mk(pd)
    sc, sn, pc, pn = S.port_state(st, f, is_vf=vf is not None)
    lid, sm_lid = S.port_lids(st, obj if vf is None else dict(obj, link_layer=f["link_layer"]), is_vf=vf is not None)
    _w(os.path.join(pd, "state"), "%d: %s" % (sc, sn))
    _w(os.path.join(pd, "phys_state"), "%d: %s" % (pc, pn))
    _w(os.path.join(pd, "link_layer"), f["link_layer"])
    _w(os.path.join(pd, "rate"), rate_text(f))
    _w(os.path.join(pd, "lid"), "0x%x" % lid)
    _w(os.path.join(pd, "sm_lid"), "0x%x" % sm_lid)
    _w(os.path.join(pd, "sm_sl"), "0")
    _w(os.path.join(pd, "lid_mask_count"), "0")
    _w(os.path.join(pd, "cap_mask"), IB_CAP_MASK if f["link_layer"] == "InfiniBand" else ETH_CAP_MASK)
    gd = os.path.join(pd, "gids")
    td = os.path.join(pd, "gid_attrs", "types")
    nd = os.path.join(pd, "gid_attrs", "ndevs")
    for x in (gd, td, nd):
        _mk(x)
    zero = "0000:0000:0000:0000:0000:0000:0000:0000"
    if f["link_layer"] == "InfiniBand":
        _w(os.path.join(gd, "0"), gid_full(obj["port_guid"]) if obj["port_guid"] != "0" * 16 else zero)
        _w(os.path.join(gd, "1"), zero)
    else:
        g = gid_full(obj["port_guid"])
        _w(os.path.join(gd, "0"), g)
        _w(os.path.join(gd, "1"), g)
        _w(os.path.join(gd, "2"), zero)
        _w(os.path.join(td, "0"), "IB/RoCE v1")
        _w(os.path.join(td, "1"), "RoCE v2")
        _w(os.path.join(nd, "0"), obj["netdev"])
        _w(os.path.join(nd, "1"), obj["netdev"])
    return d


def _write_netdev(st, nic, f, vf, pci_dir):
    obj = vf or f
    d = os.path.join(pci_dir, "net", obj["netdev"])
    _mk(d)
    ib = f["link_layer"] == "InfiniBand"
    if ib:
        addr = "00:00:10:49:fe:80:00:00:00:00:00:00:" + ":".join(obj["port_guid"][i : i + 2] for i in range(0, 16, 2))
        mtu = 2044 if vf is None else 1500
        typ = 32
    else:
        addr = obj["mac"]
        mtu = 1500
        typ = 1
    sc = S.port_state(st, f, is_vf=vf is not None)[0]
    up = sc == 4 and vf is None
    _w(os.path.join(d, "address"), addr)
    _w(os.path.join(d, "operstate"), "up" if up else "down")
    _w(os.path.join(d, "carrier"), "1" if up else "0")
    _w(os.path.join(d, "mtu"), str(mtu))
    _w(os.path.join(d, "type"), str(typ))
    _w(os.path.join(d, "ifindex"), str(obj["ifindex"]))
    _w(os.path.join(d, "dev_port"), "0")
    if not ib and vf is None:
        _w(os.path.join(d, "phys_port_name"), "p%d" % (f["port"] - 1))
    _link("../../../%s" % obj["bdf"], os.path.join(d, "device"))
    return d


def _write_pci(root, st, nic, f, vf):
    obj = vf or f
    bdf = obj["bdf"]
    d = os.path.join(root, "bus", "pci", "devices", bdf)
    _mk(d)
    dev_id = nic["vf_device_id"] if vf else nic["device_id"]
    _w(os.path.join(d, "vendor"), "0x15b3")
    _w(os.path.join(d, "device"), "0x%s" % dev_id)
    _w(os.path.join(d, "class"), "0x020700" if f["link_layer"] == "InfiniBand" else "0x020000")
    _w(os.path.join(d, "subsystem_vendor"), "0x15b3")
    _w(os.path.join(d, "subsystem_device"), "0x0007")
    _w(os.path.join(d, "revision"), "0x%02x" % nic.get("chip_rev", 0))
    _w(os.path.join(d, "numa_node"), str(nic.get("numa_node", -1)))
    _link("../../drivers/mlx5_core", os.path.join(d, "driver"))
    _link("../../devices/%s" % bdf, os.path.join(root, "bus", "pci", "drivers", "mlx5_core", bdf))
    if vf is None and f.get("sriov_totalvfs") is not None:
        _w(os.path.join(d, "sriov_totalvfs"), str(f["sriov_totalvfs"]))
        _w(os.path.join(d, "sriov_numvfs"), str(f.get("sriov_numvfs") or 0))
        _w(os.path.join(d, "sriov_offset"), str(nic.get("vf_offset", 2)))
        _w(os.path.join(d, "sriov_stride"), "1")
        _w(os.path.join(d, "sriov_vf_device"), nic["vf_device_id"])
        _w(os.path.join(d, "sriov_drivers_autoprobe"), "1")
        for v in f.get("vfs", []):
            _link("../%s" % v["bdf"], os.path.join(d, "virtfn%d" % v["vf"]))
    if vf is not None:
        _link("../%s" % f["bdf"], os.path.join(d, "physfn"))
    nd = _write_netdev(st, nic, f, vf, d)
    idev = _write_ib_dev(st, nic, None, f, vf, d)
    _link(os.path.relpath(nd, os.path.join(root, "class", "net")), os.path.join(root, "class", "net", obj["netdev"]))
    _link(
        os.path.relpath(idev, os.path.join(root, "class", "infiniband")),
        os.path.join(root, "class", "infiniband", obj["rdma_dev"]),
    )


def _write_extra(root, st, nic, x):
    dom, bus, dev, _fn = S.parse_bdf(nic["bdf"])
    bdf = S.fmt_bdf(dom, bus, dev, x["fn"])
    d = os.path.join(root, "bus", "pci", "devices", bdf)
    _mk(d)
    _w(os.path.join(d, "vendor"), "0x15b3")
    _w(os.path.join(d, "device"), "0x%s" % x["device_id"])
    _w(os.path.join(d, "class"), "0x%s00" % x.get("class", "0801"))
    _w(os.path.join(d, "revision"), "0x%02x" % nic.get("chip_rev", 0))
    _w(os.path.join(d, "numa_node"), str(nic.get("numa_node", -1)))


def render_modules(root, st):
    import shutil

    md = os.path.join(root, "module")
    if os.path.isdir(md):
        shutil.rmtree(md)
    _mk(md)
    for m in st["runtime"].get("loaded_modules", []):
        _mk(os.path.join(md, m))
    if "ib_core" in st["runtime"].get("loaded_modules", []):
        pd = os.path.join(md, "ib_core", "parameters")
        _mk(pd)
        _w(os.path.join(pd, "netns_mode"), "Y" if st["runtime"]["netns"] == "shared" else "N")


def _render_into(root, st):
    for sub in ("bus/pci/devices", "bus/pci/drivers/mlx5_core", "class/net", "class/infiniband"):
        _mk(os.path.join(root, sub))
    for nic in st["nics"]:
        for f in nic["functions"]:
            _write_pci(root, st, nic, f, None)
            for vf in f.get("vfs", []):
                _write_pci(root, st, nic, f, vf)
        for x in nic.get("extra_functions", []):
            _write_extra(root, st, nic, x)
    render_modules(root, st)


def render(st):
    """Rebuild the whole tree (into a sibling directory, then swap it in)."""
    import shutil

    root = S.sysfs_root().rstrip("/")
    parent = os.path.dirname(root) or "."
    os.makedirs(parent, exist_ok=True)
    tmp = "%s.new-%d" % (root, os.getpid())
    old = "%s.old-%d" % (root, os.getpid())
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    _render_into(tmp, st)
    if not os.path.exists(root):
        os.rename(tmp, root)
        return
    try:
        os.rename(root, old)
    except OSError:
        # root is a mount point or otherwise pinned: rebuild in place.
        shutil.rmtree(tmp, ignore_errors=True)
        for name in os.listdir(root):
            p = os.path.join(root, name)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            else:
                os.unlink(p)
        _render_into(root, st)
        return
    os.rename(tmp, root)
    shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- sriov_numvfs
ERANGE, EBUSY, EINVAL = "Numerical result out of range", "Device or resource busy", "Invalid argument"


def validate_numvfs(f, text):
    """Kernel sriov_numvfs_store(): returns (num, None) or (None, errno text)."""
    t = text.strip()
    try:
        num = int(t, 0) if t.lower().startswith("0x") else int(t, 10)
    except ValueError:
        return None, EINVAL
    if num < 0 or num > 0xFFFF:
        return None, EINVAL
    total = f.get("sriov_totalvfs") or 0
    if num > total:
        return None, ERANGE
    cur = f.get("sriov_numvfs") or 0
    if num == cur:
        return num, None
    if num != 0 and cur != 0:
        return None, EBUSY
    return num, None


def apply_numvfs(st, nic, f, text, source="sysfs"):
    """Validate and apply a sriov_numvfs value; returns None or the errno text."""
    num, err = validate_numvfs(f, text)
    bdf = f["bdf"]
    if err:
        if err == EBUSY:
            S.kmsg(
                "mlx5_core %s: %d VFs already enabled. Disable before enabling %s VFs"
                % (bdf, f.get("sriov_numvfs") or 0, text.strip())
            )
        else:
            S.kmsg("mlx5_core %s: sriov_numvfs write of %r refused: %s (%s)" % (bdf, text.strip(), err, source))
        return err
    if num != (f.get("sriov_numvfs") or 0):
        S.set_numvfs(st, nic, f, num)
        S.kmsg("mlx5_core %s: E-Switch: %s %d VFs (%s)" % (bdf, "Enable" if num else "Disable", num or 0, source))
    return None


def sync_sriov(st):
    """Reconcile sriov_numvfs files written by others with the state.

    Returns (changed, errors): changed when VFs were created/destroyed or a refused write was reverted.
    """
    root = S.sysfs_root()
    changed = False
    errors = []
    for nic in st["nics"]:
        for f in nic["functions"]:
            if f.get("sriov_totalvfs") is None:
                continue
            path = os.path.join(root, "bus", "pci", "devices", f["bdf"], "sriov_numvfs")
            try:
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
            except FileNotFoundError:
                continue
            if text.strip() == str(f.get("sriov_numvfs") or 0):
                continue
            err = apply_numvfs(st, nic, f, text, source="sysfs write")
            if err:
                errors.append((f["bdf"], text.strip(), err))
                st.setdefault("sriov_errors", []).append({"bdf": f["bdf"], "value": text.strip(), "error": err})
                del st["sriov_errors"][:-20]
            changed = True
    return changed, errors
