"""Summary figures, the Markdown table and the PNG plot of one benchmark run."""

KINDS = ("first", "noop", "floor")
NA = "-"


def _slope(points):
    """Least-squares slope and intercept of [(x, y)]."""
    n = len(points)
    if n < 2:
        return None, None
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None, None
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    return b, my - b * mx


def summarise(r):
    """The headline keys of latest.json (issue 10) from the per-size runs."""
    fleet, forks = r["fleet"], r["forks"]
    runs = fleet["runs"]
    if runs:
        fleet["noop_over_floor"] = {n: round(x["noop"]["wall_s"] / x["floor"]["wall_s"], 2) for n, x in runs.items()}
        fleet["mlxconfig_queries_per_nic_noop"] = max(x["noop"]["mlxconfig_queries_per_nic"] for x in runs.values())
        fleet["mlxconfig_calls_per_nic_noop"] = max(x["noop"]["mlxconfig_calls_per_nic"] for x in runs.values())
        firsts = [x["first"] for x in runs.values() if "first" in x] + (
            [fleet["seed_first"]] if "seed_first" in fleet else []
        )
        fleet["max_reboots_per_host_first"] = max(x["max_reboots_per_host"] for x in firsts)
        fleet["max_reboots_per_host_noop"] = max(x["noop"]["max_reboots_per_host"] for x in runs.values())
        fleet["controller_peak_rss_mib"] = max(x[k]["peak_rss_mib"] for x in runs.values() for k in KINDS if k in x)
        # time vs N / forks: seconds per batch of `forks` hosts (first: the sizes that converged for real)
        fleet["slope_s_per_batch"] = {}
        for kind in KINDS:
            points = [(int(n) / forks, x[kind]["wall_s"]) for n, x in runs.items() if kind in x]
            if kind == "first" and "seed_first" in fleet:
                points.append((fleet["seed_hosts"] / forks, fleet["seed_first"]["wall_s"]))
            b, a = _slope(points)
            fleet["slope_s_per_batch"][kind] = None if b is None else {"slope": round(b, 2), "intercept_s": round(a, 1)}
    cl = r["cluster"]["runs"]
    if cl:
        big = cl[str(max(int(n) for n in cl))]
        r["cluster"]["nodes"] = big["nodes"]
        r["cluster"]["first_s"] = big["first_s"]
        r["cluster"]["noop_s"] = big["noop_s"]
        r["cluster"]["noop_api_writes"] = big["noop_api_writes"]
        r["cluster"]["noop_objects_changed"] = big["noop_objects_changed"]
    return r


def markdown(r):
    f, c, forks = r["fleet"], r["cluster"], r["forks"]
    out = [
        f"Benchmark of {r['started']}, {r['machine']['cpus']} CPUs (load average at start "
        f"{r['machine']['loadavg_at_start'][0]}), forks {forks}, total {r['duration_s']} s.",
        "",
        "### Host phase (playbooks/hosts.yml) on N chroot hosts",
        "",
        "| N | floor s | first s | no-op s | no-op / floor | tasks/host first | tasks/host no-op "
        "| tasks/host floor | fw calls/NIC first | fw queries/NIC no-op | max reboots/host first | no-op "
        "| tool calls/host no-op | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, x in sorted(f["runs"].items(), key=lambda kv: int(kv[0])):
        rss = max(x[k]["peak_rss_mib"] for k in KINDS if k in x)
        first = x.get("first", {})
        label = f"{n} (copies)" if x.get("cloned") else n
        out.append(
            f"| {label} | {x['floor']['wall_s']} | {first.get('wall_s', NA)} | {x['noop']['wall_s']} | "
            f"{f['noop_over_floor'][n]} | {first.get('tasks_per_host_mean', NA)} | "
            f"{x['noop']['tasks_per_host_mean']} | {x['floor']['tasks_per_host_mean']} | "
            f"{first.get('mlxconfig_calls_per_nic', NA)} | "
            f"{x['noop']['mlxconfig_queries_per_nic']} | {first.get('max_reboots_per_host', NA)} | "
            f"{x['noop']['max_reboots_per_host']} | {x['noop']['tool_calls_per_host']} | {rss} |"
        )
    seed = f.get("seed_first")
    if seed:
        out += [
            "",
            f"(copies): copies of {f['seed_hosts']} seed hosts converged once for real; their first converge: "
            f"{seed['wall_s']} s, {seed['tasks_per_host_mean']} tasks/host, {seed['mlxconfig_calls_per_nic']} "
            f"firmware tool calls/NIC, at most {seed['max_reboots_per_host']} reboot/host.",
        ]
    if f.get("slope_s_per_batch"):
        s = f["slope_s_per_batch"]
        out += [
            "",
            "Time vs N / forks (least squares, seconds per batch of "
            f"{forks} hosts): "
            + ", ".join(f"{k} {v['slope']} s/batch + {v['intercept_s']} s" for k, v in s.items() if v),
        ]
    if c["runs"]:
        out += [
            "",
            "### Cluster phase (playbooks/cluster.yml) on kwok nodes",
            "",
            "| nodes | control plane up s | first run to all DaemonSets Ready s | no-op s | no-op changed "
            "| no-op API write requests | no-op objects changed |",
            "|---|---|---|---|---|---|---|",
        ]
        for n, x in sorted(c["runs"].items(), key=lambda kv: int(kv[0])):
            out.append(
                f"| {n} | {x['control_plane_up_s']} | {x['first_s']} | {x['noop_s']} | {x['noop_changed']} "
                f"| {x['noop_api_writes']} | {x['noop_objects_changed']} |"
            )
    return "\n".join(out) + "\n"


def plot(r, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    runs = sorted(r["fleet"]["runs"].items(), key=lambda kv: int(kv[0]))
    for kind, label in (("first", "first converge"), ("noop", "no-op re-run"), ("floor", "floor: facts only")):
        points = [(int(n), x[kind]["wall_s"]) for n, x in runs if kind in x]
        axes[0].plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    axes[0].set(title=f"Host phase, forks {r['forks']}", xlabel="hosts (N)", ylabel="wall time (s)")
    axes[0].legend()
    axes[0].grid(alpha=0.3)
    cl = sorted(r["cluster"]["runs"].items(), key=lambda kv: int(kv[0]))
    cx = [int(n) for n, _ in cl]
    axes[1].plot(cx, [x["first_s"] for _, x in cl], marker="o", label="first run to DaemonSets Ready")
    axes[1].plot(cx, [x["noop_s"] for _, x in cl], marker="o", label="no-op re-run")
    axes[1].set(title="Cluster phase", xlabel="kwok nodes (N)", ylabel="wall time (s)")
    axes[1].legend()
    axes[1].grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
