#!/usr/bin/env python3
"""Run a real Kubernetes control plane for the rdmaops lab on 127.0.0.1.

etcd + kube-apiserver + kube-controller-manager + kube-scheduler (built by lab/k8s/build),
kwok as the kubelet for fake Node objects named after the lab hosts, and the lab's
device-plugin stand-in (devplugin_sim.py). Standard library only (the stand-in needs the
`kubernetes` client from .venv).

    k8slab.py up     [--state-dir D] [--kubeconfig K] [--nodes "a b c"] [--no-build]
    k8slab.py down   [--state-dir D] [--kubeconfig K]
    k8slab.py status [--state-dir D] [--quiet]

State (PIDs, logs, PKI, etcd data) lives in --state-dir (default <repo>/.lab/k8s); the admin
kubeconfig is written to --kubeconfig (default <repo>/.lab/kubeconfig for the default state
dir, <state-dir>/../kubeconfig otherwise). See lab/k8s/README.md.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_NODES = "rdma-ib-1 rdma-ib-2 rdma-roce-1"
SERVICE_CIDR = "10.96.0.0/16"
POD_CIDR = "10.244.0.1/16"  # kwok hands out pod IPs from here
KWOK_ANNOTATION = "kwok.x-k8s.io/node"
NODE_LABELS = {
    # what node-feature-discovery puts on a host with a Mellanox/NVIDIA (PCI vendor 15b3) NIC
    "feature.node.kubernetes.io/pci-15b3.present": "true",
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": "amd64",
    "lab.rdmaops.io/simulated": "true",
}
OUR_BINARIES = {"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}
COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "devplugin-sim"]


class LabError(Exception):
    pass


def log(msg: str) -> None:
    print(f"[k8s-lab] {msg}", flush=True)


def read_versions() -> dict[str, str]:
    out = {}
    for line in (HERE / "versions.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


# --------------------------------------------------------------------------- paths / state
class Paths:
    def __init__(self, state_dir: str | None, kubeconfig: str | None):
        default_state = REPO / ".lab" / "k8s"
        self.state = Path(state_dir).resolve() if state_dir else default_state
        if kubeconfig:
            self.kubeconfig = Path(kubeconfig).resolve()
        elif self.state == default_state:
            self.kubeconfig = REPO / ".lab" / "kubeconfig"
        else:
            self.kubeconfig = self.state.parent / "kubeconfig"
        self.pki = self.state / "pki"
        self.logs = self.state / "logs"
        self.state_file = self.state / "state.json"
        self.lock_file = self.state.parent / f".{self.state.name}.lock"

    def logfile(self, comp: str) -> Path:
        return self.logs / f"{comp}.log"


def load_state(p: Paths) -> dict | None:
    try:
        return json.loads(p.state_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def save_state(p: Paths, st: dict) -> None:
    tmp = p.state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(st, indent=2, sort_keys=True) + "\n")
    tmp.replace(p.state_file)


class Lock:
    """flock on a file next to the state dir: one up/down at a time per state dir."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"another up/down holds {self.path}; waiting (max 600 s)")
            deadline = time.monotonic() + 600
            while True:
                try:
                    fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise LabError(f"timed out waiting for {self.path}") from None
                    time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


# --------------------------------------------------------------------------- processes
def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def ours(pid: int, p: Paths) -> bool:
    """The PID still runs one of our processes: its command line names our state dir."""
    return pid_alive(pid) and str(p.state) + "/" in cmdline(pid)


def orphan_pids(p: Paths) -> list[int]:
    """Processes whose command line names this state dir (e.g. state.json was lost)."""
    me = os.getpid()
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != me:
            pid = int(d.name)
            cl = cmdline(pid)
            if str(p.state) + "/" not in cl or not pid_alive(pid):
                continue
            exe = os.path.basename(cl.split(" ", 1)[0])
            if exe in OUR_BINARIES or "devplugin_sim.py" in cl:
                found.append(pid)
    return found


def stop_pids(pids: dict[str, int], p: Paths, grace: float = 10.0) -> list[str]:
    """TERM, bounded wait, then KILL. Returns the names that needed KILL."""
    live = {n: pid for n, pid in pids.items() if ours(pid, p)}
    for pid in live.values():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(pid_alive(pid) for pid in live.values()):
        time.sleep(0.1)
    killed = []
    for n, pid in live.items():
        if pid_alive(pid):
            killed.append(n)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(pid_alive(pid) for pid in live.values()):
        time.sleep(0.1)
    still = [n for n, pid in live.items() if pid_alive(pid)]
    if still:
        raise LabError(f"could not stop: {', '.join(still)}")
    return killed


def free_ports(n: int) -> list[int]:
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def tail(path: Path, n: int = 30) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log at {path})"
    return "\n".join("    " + line for line in lines[-n:])


# --------------------------------------------------------------------------- PKI (openssl)
def openssl(*args: str) -> None:
    r = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise LabError(f"openssl {' '.join(args[:2])} failed: {r.stderr.strip()}")


def make_pki(pki: Path) -> None:
    """Per-run PKI, EC P-256 keys (fast to generate; Kubernetes accepts ECDSA everywhere)."""
    pki.mkdir(parents=True, exist_ok=True)
    os.chmod(pki, 0o700)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        str(pki / "ca.key"),
        "-out",
        str(pki / "ca.crt"),
        "-days",
        "365",
        "-subj",
        "/CN=rdmaops-lab-ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    )

    # the aggregation layer's own CA (front proxy), as kubeadm sets it up
    openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        str(pki / "front-proxy-ca.key"),
        "-out",
        str(pki / "front-proxy-ca.crt"),
        "-days",
        "365",
        "-subj",
        "/CN=rdmaops-lab-front-proxy-ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    )

    def leaf(name: str, subj: str, eku: str, san: str | None = None, ca: str = "ca") -> None:
        args = [
            "req",
            "-x509",
            *ec,
            "-keyout",
            str(pki / f"{name}.key"),
            "-out",
            str(pki / f"{name}.crt"),
            "-CA",
            str(pki / f"{ca}.crt"),
            "-CAkey",
            str(pki / f"{ca}.key"),
            "-days",
            "365",
            "-subj",
            subj,
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "keyUsage=critical,digitalSignature,keyEncipherment",
            "-addext",
            f"extendedKeyUsage={eku}",
        ]
        if san:
            args += ["-addext", f"subjectAltName={san}"]
        openssl(*args)

    local = "IP:127.0.0.1,DNS:localhost"
    leaf("etcd-server", "/CN=etcd-server", "serverAuth,clientAuth", local)
    leaf("apiserver-etcd-client", "/CN=kube-apiserver-etcd-client", "clientAuth")
    leaf(
        "apiserver",
        "/CN=kube-apiserver",
        "serverAuth",
        local + ",IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,"
        "DNS:kubernetes.default.svc.cluster.local",
    )
    leaf("admin", "/O=system:masters/CN=rdmaops-lab-admin", "clientAuth")
    leaf("kube-controller-manager", "/CN=system:kube-controller-manager", "clientAuth")
    leaf("kube-scheduler", "/CN=system:kube-scheduler", "clientAuth")
    # kwok plays every kubelet and the stand-in patches node status: both need cluster-wide
    # node/pod status rights, so they get their own system:masters identities.
    leaf("kwok", "/O=system:masters/CN=rdmaops-lab-kwok", "clientAuth")
    leaf("devplugin-sim", "/O=system:masters/CN=rdmaops-lab-devplugin-sim", "clientAuth")
    leaf("front-proxy-client", "/CN=front-proxy-client", "clientAuth", ca="front-proxy-ca")
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", str(pki / "sa.key"))
    openssl("pkey", "-in", str(pki / "sa.key"), "-pubout", "-out", str(pki / "sa.pub"))
    for f in pki.iterdir():
        os.chmod(f, 0o600)


def kubeconfig_text(server: str, pki: Path, user: str, embed: bool = True) -> str:
    def b64(name: str) -> str:
        return base64.b64encode((pki / name).read_bytes()).decode()

    return (
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "rdmaops-lab", "cluster": {"server": server, "certificate-authority-data": b64("ca.crt")}}
                ],
                "users": [
                    {
                        "name": user,
                        "user": {"client-certificate-data": b64(f"{user}.crt"), "client-key-data": b64(f"{user}.key")},
                    }
                ],
                "contexts": [{"name": "rdmaops-lab", "context": {"cluster": "rdmaops-lab", "user": user}}],
                "current-context": "rdmaops-lab",
                "preferences": {},
            },
            indent=2,
        )
        + "\n"
    )


def write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    tmp.replace(path)


# --------------------------------------------------------------------------- HTTP
class Api:
    """Tiny HTTPS client with the admin client certificate."""

    def __init__(self, port: int, pki: Path, user: str = "admin"):
        self.port = port
        self.ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        self.ctx.load_cert_chain(str(pki / f"{user}.crt"), str(pki / f"{user}.key"))

    def request(
        self, method: str, path: str, body=None, ctype: str = "application/json", timeout: float = 10.0
    ) -> tuple[int, str]:
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=timeout)
        try:
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": ctype, "Accept": "application/json"} if data else {"Accept": "application/json"}
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            return r.status, r.read().decode(errors="replace")
        finally:
            conn.close()


def insecure_get(url_port: int, path: str, tls: bool = True) -> tuple[int, str]:
    """GET a component's /healthz (always allowed anonymously; self-signed serving cert)."""
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", url_port, context=ctx, timeout=5)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", url_port, timeout=5)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        conn.close()


def wait_for(what: str, check, timeout: float, comp: str | None, p: Paths, pid: int | None = None) -> None:
    """Poll check() until it returns True; fail clearly with the component's log tail."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while True:
        if pid is not None and not pid_alive(pid):
            raise LabError(
                f"{comp} exited while waiting for {what}; last lines of {p.logfile(comp)}:\n" + tail(p.logfile(comp))
            )
        try:
            res = check()
            if res is True:
                return
            last = str(res)
        except (OSError, http.client.HTTPException, ssl.SSLError) as e:
            last = f"{type(e).__name__}: {e}"
        if time.monotonic() > deadline:
            msg = f"timed out after {timeout:.0f}s waiting for {what} (last: {last[:300]})"
            if comp:
                msg += f"; last lines of {p.logfile(comp)}:\n" + tail(p.logfile(comp))
            raise LabError(msg)
        time.sleep(0.25)


# --------------------------------------------------------------------------- up
def bin_dir(no_build: bool) -> Path:
    build = HERE / "build"
    if not no_build:
        r = subprocess.run([str(build)])
        if r.returncode != 0:
            raise LabError("lab/k8s/build failed (see its output above)")
    out = subprocess.run([str(build), "--print-bindir"], capture_output=True, text=True, check=True).stdout.strip()
    d = Path(out)
    needed = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kwok-stages.yaml"]
    for b in needed + ([] if os.environ.get("LAB_K8S_ETCD") else ["etcd"]):
        if not os.access(d / b, os.X_OK if "." not in b else os.R_OK):
            raise LabError(f"{d / b} missing: run lab/k8s/build (or make k8s-build) first")
    return d


def etcd_binary(bins: Path) -> tuple[str, str, list[str]]:
    """The etcd to run: ours, or LAB_K8S_ETCD (documented fallback: Debian's etcd 3.4.23)."""
    path = os.environ.get("LAB_K8S_ETCD") or str(bins / "etcd")
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError as e:
        raise LabError(f"etcd binary {path}: {e}") from None
    version = next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("etcd Version:")), "")
    major_minor = tuple(int(x) for x in version.split(".")[:2] if x.isdigit())
    if len(major_minor) != 2:
        raise LabError(f"cannot tell the version of {path} (--version said: {out.strip()[:200]})")
    if major_minor < (3, 5):
        log(f"WARNING: etcd {version} from {path} is below the minimum Kubernetes documents (3.5); lab use only")
        # 3.4 has neither --unsafe-no-fsync nor zap logging by default
        return path, version, ["--logger=zap", "--log-level=warn"]
    # lab data is throw-away; fsync would dominate start-up on shared disks
    return path, version, ["--unsafe-no-fsync=true", "--log-level=warn"]


def venv_python() -> str:
    for cand in (REPO / ".venv" / "bin" / "python", Path(sys.executable)):
        if cand.exists():
            r = subprocess.run([str(cand), "-c", "import kubernetes"], capture_output=True)
            if r.returncode == 0:
                return str(cand)
    raise LabError("the device-plugin stand-in needs the python 'kubernetes' package: run 'make deps' (.venv)")


def healthy(st: dict, p: Paths) -> str | None:
    """None if every recorded process is ours and alive and the API is ready, else why not."""
    pids = st.get("pids", {})
    for comp in COMPONENTS:
        pid = pids.get(comp)
        if not pid or not ours(pid, p):
            return f"{comp} is not running"
    try:
        code, body = Api(st["ports"]["apiserver"], p.pki).request("GET", "/readyz", timeout=5)
    except (OSError, http.client.HTTPException, ssl.SSLError) as e:
        return f"apiserver /readyz: {e}"
    if code != 200:
        return f"apiserver /readyz: HTTP {code}: {body[:200]}"
    return None


def node_manifest(name: str, versions: dict[str, str]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {**NODE_LABELS, "kubernetes.io/hostname": name},
            # kwok manages nodes with this annotation; no kwok taint, so DaemonSet pods land.
            "annotations": {KWOK_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {},
        "status": {
            "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "500Gi"},
            "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "500Gi"},
            "nodeInfo": {
                "architecture": "amd64",
                "operatingSystem": "linux",
                "kubeletVersion": f"{versions['K8S_VERSION']}-kwok",
                "kubeProxyVersion": "",
                "osImage": "rdmaops lab (kwok fake node)",
                "kernelVersion": "",
                "containerRuntimeVersion": f"kwok://{versions['KWOK_VERSION']}",
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
            },
        },
    }


def ensure_nodes(api: Api, names: list[str], versions: dict[str, str]) -> None:
    for name in names:
        code, body = api.request("POST", "/api/v1/nodes", node_manifest(name, versions))
        if code == 409:
            m = node_manifest(name, versions)["metadata"]
            code, body = api.request(
                "PATCH",
                f"/api/v1/nodes/{name}",
                {"metadata": {"labels": m["labels"], "annotations": m["annotations"]}},
                ctype="application/merge-patch+json",
            )
        if code not in (200, 201):
            raise LabError(f"creating node {name}: HTTP {code}: {body[:300]}")


def nodes_ready(api: Api, names: list[str]):
    code, body = api.request("GET", "/api/v1/nodes")
    if code != 200:
        return f"HTTP {code}"
    ready = set()
    for n in json.loads(body)["items"]:
        for c in n.get("status", {}).get("conditions") or []:
            if c.get("type") == "Ready" and c.get("status") == "True":
                ready.add(n["metadata"]["name"])
    missing = [n for n in names if n not in ready]
    return True if not missing else f"not Ready yet: {', '.join(missing)}"


def start(comp: str, argv: list[str], p: Paths, st: dict, env: dict | None = None) -> int:
    with open(p.logfile(comp), "ab") as logf:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=logf,
            stderr=subprocess.STDOUT,
            cwd=str(p.state),
            start_new_session=True,
            close_fds=True,
            env={**os.environ, **(env or {})},
        )
    st["pids"][comp] = proc.pid
    save_state(p, st)  # recorded at once, so down can clean up a partial start
    return proc.pid


def cmd_up(args) -> int:
    p = Paths(args.state_dir, args.kubeconfig)
    names = (args.nodes or os.environ.get("LAB_K8S_NODES") or DEFAULT_NODES).replace(",", " ").split()
    if len(names) < 1:
        raise LabError("no node names given")
    t0 = time.monotonic()
    bins = bin_dir(args.no_build)
    versions = read_versions()
    with Lock(p.lock_file):
        st = load_state(p)
        if st:
            why = healthy(st, p)
            if why is None:
                api = Api(st["ports"]["apiserver"], p.pki)
                ensure_nodes(api, names, versions)
                wait_for("nodes Ready", lambda: nodes_ready(api, names), 30, "kwok", p)
                write_private(p.kubeconfig, (p.state / "admin.kubeconfig").read_text())
                log(
                    f"already up (API https://127.0.0.1:{st['ports']['apiserver']}); verified in "
                    f"{time.monotonic() - t0:.1f}s; kubeconfig {p.kubeconfig}"
                )
                return 0
            log(f"stale state in {p.state} ({why}); cleaning it up first")
            _down(p, quiet=True)
        elif p.state.exists() and orphan_pids(p):
            log(f"processes without state found for {p.state}; cleaning up first")
            _down(p, quiet=True)
        try:
            _up(p, bins, names, versions, t0, args.timeout_scale)
        except BaseException:
            log("start failed; stopping what was started")
            try:
                _down(p, quiet=True, keep_logs=True)
            except LabError as e:
                log(f"cleanup: {e}")
            raise
    return 0


def _up(p: Paths, bins: Path, names: list[str], versions: dict[str, str], t0: float, scale: float) -> None:
    if p.state.exists():
        shutil.rmtree(p.state)
    for d in (p.state, p.logs):
        d.mkdir(parents=True, exist_ok=True)
    os.chmod(p.state, 0o700)
    (p.state / "README").write_text(
        "Run-time state of lab/k8s/up (PIDs, logs, PKI, etcd data). Remove with lab/k8s/down.\n"
    )
    names_ = ["etcd", "etcd_peer", "apiserver", "controller_manager", "scheduler", "kwok"]
    ports = dict(zip(names_, free_ports(len(names_)), strict=True))
    st = {
        "versions": versions,
        "ports": ports,
        "pids": {},
        "nodes": names,
        "bin_dir": str(bins),
        "state_dir": str(p.state),
        "kubeconfig": str(p.kubeconfig),
        "started": time.time(),
    }
    save_state(p, st)
    make_pki(p.pki)
    pki = p.pki
    server = f"https://127.0.0.1:{ports['apiserver']}"
    for user in ("admin", "kube-controller-manager", "kube-scheduler", "kwok", "devplugin-sim"):
        write_private(p.state / f"{user}.kubeconfig", kubeconfig_text(server, pki, user))
    log(f"PKI ready ({time.monotonic() - t0:.1f}s); ports {ports}")

    # etcd
    etcd_bin, etcd_version, etcd_flags = etcd_binary(bins)
    st["etcd_binary"], st["etcd_version"] = etcd_bin, etcd_version
    save_state(p, st)
    etcd_url = f"https://127.0.0.1:{ports['etcd']}"
    peer_url = f"http://127.0.0.1:{ports['etcd_peer']}"
    pid = start(
        "etcd",
        [
            etcd_bin,
            "--name=lab",
            f"--data-dir={p.state}/etcd",
            f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=lab={peer_url}",
            "--initial-cluster-state=new",
            f"--cert-file={pki}/etcd-server.crt",
            f"--key-file={pki}/etcd-server.key",
            f"--trusted-ca-file={pki}/ca.crt",
            "--client-cert-auth=true",
            *etcd_flags,
        ],
        p,
        st,
    )
    ectx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    ectx.load_cert_chain(str(pki / "apiserver-etcd-client.crt"), str(pki / "apiserver-etcd-client.key"))

    def etcd_health():
        conn = http.client.HTTPSConnection("127.0.0.1", ports["etcd"], context=ectx, timeout=5)
        try:
            conn.request("GET", "/health")
            r = conn.getresponse()
            body = r.read().decode()
            return True if r.status == 200 and '"true"' in body else f"HTTP {r.status} {body}"
        finally:
            conn.close()

    wait_for("etcd /health", etcd_health, 30 * scale, "etcd", p, pid)
    log(f"etcd ready ({time.monotonic() - t0:.1f}s)")

    # kube-apiserver
    pid = start(
        "kube-apiserver",
        [
            str(bins / "kube-apiserver"),
            f"--etcd-servers={etcd_url}",
            f"--etcd-cafile={pki}/ca.crt",
            f"--etcd-certfile={pki}/apiserver-etcd-client.crt",
            f"--etcd-keyfile={pki}/apiserver-etcd-client.key",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={ports['apiserver']}",
            f"--cert-dir={p.state}/apiserver",
            f"--tls-cert-file={pki}/apiserver.crt",
            f"--tls-private-key-file={pki}/apiserver.key",
            f"--client-ca-file={pki}/ca.crt",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki}/sa.pub",
            f"--service-account-signing-key-file={pki}/sa.key",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--authorization-mode=Node,RBAC",
            "--allow-privileged=true",
            f"--requestheader-client-ca-file={pki}/front-proxy-ca.crt",
            "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-username-headers=X-Remote-User",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            f"--proxy-client-cert-file={pki}/front-proxy-client.crt",
            f"--proxy-client-key-file={pki}/front-proxy-client.key",
            # 127.0.0.1 is not a valid endpoint for the 'kubernetes' Service; nothing in the lab
            # reaches the API through the Service anyway (no pod network).
            "--endpoint-reconciler-type=none",
            "--profiling=false",
            "--v=1",
        ],
        p,
        st,
    )
    api = Api(ports["apiserver"], pki)

    def readyz():
        code, body = api.request("GET", "/readyz", timeout=5)
        if code == 200 and body.strip() == "ok":
            return True
        failing = [line[3:].split(" ")[0] for line in body.splitlines() if line.startswith("[-]")]
        return f"HTTP {code}; failing checks: {', '.join(failing)}" if failing else f"HTTP {code}: {body[-200:]}"

    wait_for("kube-apiserver /readyz", readyz, 90 * scale, "kube-apiserver", p, pid)
    log(f"kube-apiserver ready ({time.monotonic() - t0:.1f}s)")
    write_private(p.state / "admin.kubeconfig", kubeconfig_text(server, pki, "admin"))

    # controller-manager, scheduler, kwok: start together, then wait for each
    kcm = p.state / "kube-controller-manager.kubeconfig"
    sch = p.state / "kube-scheduler.kubeconfig"
    pids = {}
    pids["kube-controller-manager"] = start(
        "kube-controller-manager",
        [
            str(bins / "kube-controller-manager"),
            f"--kubeconfig={kcm}",
            f"--authentication-kubeconfig={kcm}",
            f"--authorization-kubeconfig={kcm}",
            "--bind-address=127.0.0.1",
            f"--secure-port={ports['controller_manager']}",
            f"--cert-dir={p.state}/controller-manager",
            f"--service-account-private-key-file={pki}/sa.key",
            f"--root-ca-file={pki}/ca.crt",
            "--use-service-account-credentials=true",
            f"--cluster-signing-cert-file={pki}/ca.crt",
            f"--cluster-signing-key-file={pki}/ca.key",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--leader-elect=false",
            "--profiling=false",
            "--v=1",
        ],
        p,
        st,
    )
    pids["kube-scheduler"] = start(
        "kube-scheduler",
        [
            str(bins / "kube-scheduler"),
            f"--kubeconfig={sch}",
            f"--authentication-kubeconfig={sch}",
            f"--authorization-kubeconfig={sch}",
            "--bind-address=127.0.0.1",
            f"--secure-port={ports['scheduler']}",
            f"--cert-dir={p.state}/scheduler",
            "--leader-elect=false",
            "--profiling=false",
            "--v=1",
        ],
        p,
        st,
    )
    kwok_cfg = p.state / "kwok.yaml"
    # Only stages: a partial KwokConfiguration document would switch kwok's other defaults off.
    kwok_cfg.write_text(
        "# written by lab/k8s/up: the default stages collected by lab/k8s/build\n"
        + (bins / "kwok-stages.yaml").read_text()
    )
    pids["kwok"] = start(
        "kwok",
        [
            str(bins / "kwok"),
            f"--config={kwok_cfg}",
            f"--kubeconfig={p.state}/kwok.kubeconfig",
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={KWOK_ANNOTATION}=fake",
            f"--server-address=127.0.0.1:{ports['kwok']}",
            f"--cidr={POD_CIDR}",
            "--node-ip=127.0.0.1",
            # Without leases the node controller marks the nodes NotReady about every 50 s and
            # every pod with them; kwok's stages never set the pods Ready again.
            "--node-lease-duration-seconds=40",
        ],
        p,
        st,
    )

    def healthz(port: int, tls: bool = True):
        def f():
            code, body = insecure_get(port, "/healthz", tls)
            return True if code == 200 else f"HTTP {code}: {body[-200:]}"

        return f

    wait_for(
        "kube-controller-manager /healthz",
        healthz(ports["controller_manager"]),
        60 * scale,
        "kube-controller-manager",
        p,
        pids["kube-controller-manager"],
    )
    wait_for(
        "kube-scheduler /healthz", healthz(ports["scheduler"]), 60 * scale, "kube-scheduler", p, pids["kube-scheduler"]
    )
    wait_for("kwok /healthz", healthz(ports["kwok"], tls=False), 60 * scale, "kwok", p, pids["kwok"])
    log(f"controller-manager, scheduler, kwok ready ({time.monotonic() - t0:.1f}s)")

    # the device-plugin stand-in
    ready_file = p.state / "devplugin-sim.ready"
    pid = start(
        "devplugin-sim",
        [
            venv_python(),
            str(HERE / "devplugin_sim.py"),
            f"--kubeconfig={p.state}/devplugin-sim.kubeconfig",
            f"--ready-file={ready_file}",
        ],
        p,
        st,
        env={"PYTHONUNBUFFERED": "1"},
    )

    # nodes, then what a usable cluster needs: Ready nodes, the default ServiceAccount, the stand-in
    ensure_nodes(api, names, versions)
    wait_for(f"nodes {' '.join(names)} Ready", lambda: nodes_ready(api, names), 60 * scale, "kwok", p, pids["kwok"])

    def default_sa():
        code, _ = api.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")
        return True if code == 200 else f"HTTP {code}"

    wait_for(
        "ServiceAccount default/default (controller-manager)",
        default_sa,
        60 * scale,
        "kube-controller-manager",
        p,
        pids["kube-controller-manager"],
    )
    wait_for(
        "device-plugin stand-in initial sync",
        lambda: ready_file.exists() or "not yet",
        60 * scale,
        "devplugin-sim",
        p,
        pid,
    )
    write_private(p.kubeconfig, (p.state / "admin.kubeconfig").read_text())
    st["ready"] = time.time()
    save_state(p, st)
    code, body = api.request("GET", "/version")
    ver = json.loads(body).get("gitVersion") if code == 200 else "?"
    log(f"up in {time.monotonic() - t0:.1f}s: Kubernetes {ver} at {server}, nodes {' '.join(names)}")
    log(f"kubeconfig: {p.kubeconfig}   (state, logs: {p.state})")


# --------------------------------------------------------------------------- down
def _down(p: Paths, quiet: bool = False, keep_logs: bool = False) -> None:
    st = load_state(p) or {}
    pids = {c: pid for c, pid in st.get("pids", {}).items()}
    # clients first, then the API server, then etcd: each shuts down cleanly and quickly
    killed = []
    for stage in (["devplugin-sim", "kwok", "kube-scheduler", "kube-controller-manager"], ["kube-apiserver"], ["etcd"]):
        group = {c: pids[c] for c in stage if c in pids}
        if group:
            killed += stop_pids(group, p)
    orphans = orphan_pids(p) if p.state.exists() else []
    if orphans:
        killed += stop_pids({f"pid {x}": x for x in orphans}, p)
    if killed and not quiet:
        log(f"needed SIGKILL: {', '.join(killed)}")
    ports = st.get("ports", {})
    deadline = time.monotonic() + 5
    busy = [n for n, port in ports.items() if port_open(port)]
    while busy and time.monotonic() < deadline:
        time.sleep(0.2)
        busy = [n for n, port in ports.items() if port_open(port)]
    if busy:
        raise LabError("ports still listening after stop: " + ", ".join(f"{n}={ports[n]}" for n in busy))
    # the public kubeconfig goes only if it is still ours
    admin = p.state / "admin.kubeconfig"
    try:
        if p.kubeconfig.exists() and admin.exists() and p.kubeconfig.read_text() == admin.read_text():
            p.kubeconfig.unlink()
    except OSError:
        pass
    if p.state.exists():
        if keep_logs:
            keep = p.state.parent / f"{p.state.name}.failed-logs"
            shutil.rmtree(keep, ignore_errors=True)
            if p.logs.exists():
                shutil.copytree(p.logs, keep)
                log(f"logs of the failed start kept in {keep}")
        shutil.rmtree(p.state)


def cmd_down(args) -> int:
    p = Paths(args.state_dir, args.kubeconfig)
    t0 = time.monotonic()
    with Lock(p.lock_file):
        if not p.state.exists():
            log(f"nothing to stop ({p.state} does not exist)")
            return 0
        _down(p)
    log(f"down in {time.monotonic() - t0:.1f}s; {p.state} removed")
    return 0


def cmd_status(args) -> int:
    p = Paths(args.state_dir, args.kubeconfig)
    st = load_state(p)
    if not st:
        if not args.quiet:
            log(f"not running (no {p.state_file})")
        return 1
    why = healthy(st, p)
    if args.quiet:
        return 0 if why is None else 1
    for comp in COMPONENTS:
        pid = st.get("pids", {}).get(comp)
        print(f"  {comp:24} pid {pid or '-':>7}  {'running' if pid and ours(pid, p) else 'NOT RUNNING'}")
    print(f"  ports: {st.get('ports')}")
    print(f"  kubeconfig: {st.get('kubeconfig')}")
    log("ready" if why is None else f"not healthy: {why}")
    return 0 if why is None else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="k8slab.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("up", "down", "status"):
        s = sub.add_parser(name)
        s.add_argument(
            "--state-dir",
            default=os.environ.get("LAB_K8S_STATE_DIR"),
            help="run-time state (default <repo>/.lab/k8s; env LAB_K8S_STATE_DIR)",
        )
        s.add_argument(
            "--kubeconfig",
            default=os.environ.get("LAB_K8S_KUBECONFIG"),
            help="where to write the admin kubeconfig (env LAB_K8S_KUBECONFIG)",
        )
        if name == "up":
            s.add_argument(
                "--nodes", help=f"node names, space/comma separated (env LAB_K8S_NODES; default '{DEFAULT_NODES}')"
            )
            s.add_argument("--no-build", action="store_true", help="fail instead of building missing binaries")
            s.add_argument(
                "--timeout-scale",
                type=float,
                default=float(os.environ.get("LAB_K8S_TIMEOUT_SCALE", "1")),
                help="multiply every readiness timeout (env LAB_K8S_TIMEOUT_SCALE)",
            )
        if name == "status":
            s.add_argument("--quiet", "-q", action="store_true")
    args = ap.parse_args(argv)
    try:
        return {"up": cmd_up, "down": cmd_down, "status": cmd_status}[args.cmd](args)
    except LabError as e:
        print(f"[k8s-lab] ERROR: {e}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
