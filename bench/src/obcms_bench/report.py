"""The results: targets met or missed, results.json, REPORT.md and growth.png."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from obcms_bench import cost as costs
from obcms_platform import registry

FEED_MONTH_COLD = "feed: month, all modules, cold"
FEED_MONTH_WARM = "feed: month, all modules, warm"
FEED_YEAR_COLD = "feed: year, all modules, cold"
FEED_YEAR_WARM = "feed: year, all modules, warm"
DASHBOARD = "dashboard"
# The dashboard of the PPAs in one province with one tag and one SDG (the PPA record's filters).
DASHBOARD_FILTERED = "dashboard: province+tag+sdg"
TASK_ROWS = (
    "tasks: my open",
    "tasks: domain+status+priority",
    "tasks: of one PPA",
    "tasks: overdue",
    "tasks: due in a month",
)
PAGE_ROWS = ("page: calendar", "page: task list", "page: portfolio dashboard")
PPA_CREATED = "ppa created -> 10 tasks visible"
# On a settled stack: the change alone, as the original's synchronous update was timed.
TASK_COMPLETED = "task completed -> PPA progress"
# Right behind the PPA's creation: its consumers still handle the ten `task.created`.
TASK_COMPLETED_BEHIND_CREATION = "task completed right after its PPA's creation -> progress"
# The dev stack's API processes: "<service>-api" and the gateway.
API_PROCESS_PREFIXES = (
    *(f"{service.name}-api" for service in registry.SERVICES),
    registry.GATEWAY.name,
)
MEMORY_LIMIT_MB = 150.0
# Issue 20: an installation at rest costs (nearly) nothing.
IDLE_LIMIT_MS_PER_S = 10.0
# A process group under this many CPU ms per request in every row gets no column of its own
# in the CPU-per-request table (its share goes to "others"): the kernel counts CPU time in
# 10 ms ticks, so below a millisecond a group's share over a few dozen requests is mostly a
# tick more or less.
CPU_COLUMN_MIN_MS = 1.0


@dataclass(frozen=True)
class Target:
    scale: str
    row: str
    # p50_ms, p95_ms: latency under load (the locust run); cpu_ms: the whole stack's CPU per
    # request, wall_p50_ms: the p50 of those requests made one at a time (`cost.measure`);
    # cpu_ms_vs_ref: this scale's CPU per request as a multiple of the reference volume's.
    metric: str
    limit: float


def targets() -> list[Target]:
    """Issue 7's latency targets and issue 20's: CPU per request (of the whole stack), the
    cold feeds' wall time (one request at a time, as their CPU is measured) and their cost
    bound by the window, not by the data."""
    rows = [
        Target("ref", FEED_MONTH_COLD, "p50_ms", 60),
        Target("ref", FEED_MONTH_WARM, "p50_ms", 10),
        *(Target("ref", row, "p95_ms", 20) for row in TASK_ROWS),
        Target("ref", DASHBOARD, "p95_ms", 30),
        Target("x10", DASHBOARD, "p95_ms", 100),
        Target("ref", PPA_CREATED, "p95_ms", 1000),
        # Issue 20: as fast as the original's synchronous signal.
        Target("ref", PPA_CREATED, "p50_ms", 100),
        Target("ref", TASK_COMPLETED, "p50_ms", 60),
        Target("ref", TASK_COMPLETED, "p95_ms", 150),
        *(Target("ref", row, "p95_ms", 100) for row in PAGE_ROWS),
        Target("ref", FEED_YEAR_WARM, "cpu_ms", 3),
        Target("x10", FEED_YEAR_WARM, "cpu_ms", 3),
        Target("ref", FEED_YEAR_COLD, "cpu_ms", 40),
        Target("ref", FEED_MONTH_COLD, "cpu_ms", 12),
        Target("x100", FEED_MONTH_COLD, "cpu_ms_vs_ref", 1.5),
        Target("ref", FEED_YEAR_COLD, "wall_p50_ms", 60),
        Target("ref", FEED_MONTH_COLD, "wall_p50_ms", 20),
        *(Target("ref", row, "cpu_ms", 8) for row in TASK_ROWS),
        Target("ref", DASHBOARD, "cpu_ms", 8),
        Target("ref", DASHBOARD_FILTERED, "cpu_ms", 8),
    ]
    return rows


def _sequential(scale: dict[str, Any], row: str, field: str = "total_ms") -> float | None:
    """`field` of `row`'s requests made one at a time (`cpu_per_request`): the whole stack's
    CPU ms by default, or their wall p50."""
    cpu = scale.get("cpu_per_request", {}).get(row)
    return None if cpu is None else float(cpu[field])


def _value(
    scale: dict[str, Any], target: Target, reference: dict[str, Any] | None = None
) -> float | None:
    if target.metric == "cpu_ms":
        return _sequential(scale, target.row)
    if target.metric == "wall_p50_ms":
        return _sequential(scale, target.row, target.metric)
    if target.metric == "cpu_ms_vs_ref":
        cost = _sequential(scale, target.row)
        base = None if reference is None else _sequential(reference, target.row)
        return None if cost is None or not base else round(cost / base, 2)
    found = scale.get("http", {}).get(target.row) or scale.get("propagation", {}).get(target.row)
    return None if found is None else float(found[target.metric])


def api_memory(scale: dict[str, Any]) -> dict[str, float]:
    """RSS of the API processes (uvicorn supervisors and workers, both gateways)."""
    return {
        name: value
        for name, value in scale.get("memory_mb", {}).items()
        if name.startswith(API_PROCESS_PREFIXES) and "worker" not in name.split("/")[0]
    }


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target measured in this run: value and whether it is met."""
    evaluated = []
    scales = results["scales"]
    for target in targets():
        if target.scale not in scales:
            continue
        value = _value(scales[target.scale], target, scales.get("ref"))
        if value is None:  # not measured in this run (--only)
            continue
        evaluated.append(
            {
                "scale": target.scale,
                "row": target.row,
                "metric": target.metric,
                "limit": target.limit,
                "value": value,
                "met": value <= target.limit,
            }
        )
    for name, scale in scales.items():
        memory = api_memory(scale)
        if memory:
            process, value = max(memory.items(), key=lambda item: item[1])
            evaluated.append(
                {
                    "scale": name,
                    "row": f"every API process RSS at rest (largest: {process})",
                    "metric": "rss_mb",
                    "limit": MEMORY_LIMIT_MB,
                    "value": round(value, 1),
                    "met": value <= MEMORY_LIMIT_MB,
                }
            )
        idle = scale.get("idle_cpu_ms_per_s")
        if idle:
            total = round(sum(idle.values()), 2)
            evaluated.append(
                {
                    "scale": name,
                    "row": "idle stack, CPU per second",
                    "metric": "cpu_ms_per_s",
                    "limit": IDLE_LIMIT_MS_PER_S,
                    "value": total,
                    "met": total <= IDLE_LIMIT_MS_PER_S,
                }
            )
    return evaluated


# --- Markdown ----------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def growth_rows(results: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for name, scale in results["scales"].items():
        http = scale.get("http", {})
        counts = scale.get("dataset", {}).get("counts", {})

        def p(row: str, metric: str, http: dict[str, Any] = http) -> str:
            return _ms(http[row][metric]) if row in http else "-"

        rows.append(
            [
                name,
                counts.get("ppas", "-"),
                counts.get("tasks", "-"),
                p(FEED_MONTH_COLD, "p50_ms"),
                p(FEED_MONTH_COLD, "p95_ms"),
                p(FEED_YEAR_COLD, "p50_ms"),
                p(FEED_YEAR_COLD, "p95_ms"),
                p(DASHBOARD, "p50_ms"),
                p(DASHBOARD, "p95_ms"),
                p(DASHBOARD_FILTERED, "p50_ms"),
                p(DASHBOARD_FILTERED, "p95_ms"),
            ]
        )
    return rows


GROWTH_HEADER = [
    "scale",
    "PPAs",
    "tasks",
    "month feed cold p50",
    "p95",
    "year feed cold p50",
    "p95",
    "dashboard p50",
    "p95",
    "filtered dashboard p50",
    "p95",
]


def _throughput_note(meta: dict[str, Any]) -> str:
    users = meta.get("throughput_users", 0)
    if not users:
        return "Throughput not measured separately (req/s: the latency run's)."
    return (
        f"Throughput: a second run of each scenario with {users} users, only its requests/s "
        "(column 'req/s at N users'); its latencies are queueing and not reported."
    )


def cpu_columns(cpu: dict[str, dict[str, Any]]) -> list[str]:
    """The process groups given a column of the CPU-per-request table: those that cost at
    least `CPU_COLUMN_MIN_MS` per request in some row, the costliest over all rows first."""
    shown = {
        name
        for row in cpu.values()
        for name, ms in row["cpu_ms"].items()
        if ms >= CPU_COLUMN_MIN_MS
    }
    spent = {name: sum(row["cpu_ms"].get(name, 0.0) for row in cpu.values()) for name in shown}
    return sorted(shown, key=lambda name: (-spent[name], name))


def cpu_table(cpu: dict[str, dict[str, Any]]) -> list[str]:
    """Requests x process groups: CPU ms per request, the rest in "others", the total and
    the wall time's median."""
    columns = cpu_columns(cpu)
    rows = []
    for request, measured in cpu.items():
        by_group = measured["cpu_ms"]
        others = sum(ms for name, ms in by_group.items() if name not in columns)
        rows.append(
            [
                request,
                *(f"{by_group.get(name, 0.0):.2f}" for name in columns),
                f"{others:.2f}",
                f"**{measured['total_ms']:.2f}**",
                " / ".join(f"{total:.1f}" for total in measured.get("round_totals_ms", [])),
                f"{measured['wall_p50_ms']:.1f}",
            ]
        )
    return _table(["request", *columns, "others", "total", "rounds' totals", "wall p50"], rows)


def saturation_by_scenario(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Scenario -> worker count -> its saturation, from one saturation run per worker count
    (``{"workers": n, "scenarios": {scenario: saturation}}``)."""
    found: dict[str, dict[str, Any]] = {}
    for run in runs:
        for scenario, saturated in run["scenarios"].items():
            found.setdefault(scenario, {})[str(run["workers"])] = saturated
    return found


def saturation_table(saturation: dict[str, dict[str, Any]]) -> list[str]:
    """Each scenario's requests/s at saturation with the fewest workers per API and with the
    most, and what the added workers add."""
    counts = sorted({int(workers) for run in saturation.values() for workers in run})
    fewest, most = str(counts[0]), str(counts[-1])

    def at(run: dict[str, Any], workers: str) -> str:
        if workers not in run:
            return "-"
        return f"{run[workers]['rps']:g} ({run[workers]['users']} users)"

    rows = []
    for scenario, run in saturation.items():
        gained = (
            f"{(run[most]['rps'] / run[fewest]['rps'] - 1) * 100:+.0f} %"
            if fewest != most and fewest in run and most in run and run[fewest]["rps"]
            else "-"
        )
        steps = "; ".join(
            f"{workers} w: "
            + ", ".join(f"{users:g}u {rps:g}" for users, rps in run[workers]["steps"])
            for workers in sorted(run, key=int)
        )
        rows.append([scenario, at(run, fewest), at(run, most), gained, steps])
    return _table(
        [
            "scenario",
            f"req/s, {fewest} workers per API",
            f"req/s, {most} workers per API",
            "one more worker per API adds",
            "steps (users req/s)",
        ],
        rows,
    )


def markdown(results: dict[str, Any], chart: str | None) -> str:
    meta = results["meta"]
    lines = [
        "# OBCMS benchmark report",
        "",
        f"Run {meta['finished_at']} on {meta['machine']}; options: `{meta['command']}`."
        + (
            " A run of some scenarios (`--only`): the rows it did not measure are an earlier"
            " run's (see bench/results/NOTES.md)."
            if "--only" in meta["command"]
            else ""
        ),
        f"Latency (every percentile): {meta['users']} locust users without pauses, "
        f"{meta['seconds']} s per scenario, the same for every scenario. "
        + _throughput_note(meta)
        + f" {meta['workers']} uvicorn workers per API. Times in ms.",
        "",
        "## Targets",
        "",
    ]
    lines += _table(
        ["scale", "what", "metric", "target", "measured", "result"],
        [
            [
                row["scale"],
                row["row"],
                row["metric"],
                f"<= {row['limit']:g}",
                _ms(row["value"]),
                "met" if row["met"] else "**missed**",
            ]
            for row in results["targets"]
        ],
    )
    lines += ["", "## How cost grows", ""]
    lines += _table(GROWTH_HEADER, growth_rows(results))
    if chart:
        lines += ["", f"![latency as data grows]({chart})"]
    for name, scale in results["scales"].items():
        dataset = scale["dataset"]
        lines += ["", f"## Scale {name}", ""]
        counts = ", ".join(f"{key} {value}" for key, value in dataset["counts"].items())
        loaded = dataset.get("seconds", {})
        timing = (
            "reused from an earlier run"
            if dataset.get("reused")
            else ", ".join(f"{key} {value:.0f} s" for key, value in loaded.items())
        )
        lines += [f"Dataset: {counts} (load: {timing}).", ""]
        if "steal_percent" in scale:
            lines += [
                f"CPU time the hypervisor gave to other guests while this scale was last run "
                f"(steal): {scale['steal_percent']:g} % (the higher, the more every figure "
                "below is inflated).",
                "",
            ]
        lines += _table(
            [
                "request",
                "p50",
                "p95",
                "p99",
                "mean",
                "req/s",
                "requests",
                "failures",
                f"req/s at {meta.get('throughput_users') or '-'} users",
            ],
            [
                [
                    row,
                    _ms(stats["p50_ms"]),
                    _ms(stats["p95_ms"]),
                    _ms(stats["p99_ms"]),
                    _ms(stats["mean_ms"]),
                    stats["rps"],
                    int(stats["requests"]),
                    int(stats["failures"] + stats.get("throughput_failures", 0)),
                    stats.get("throughput_rps", "-"),
                ]
                for row, stats in scale.get("http", {}).items()
            ],
        )
        if scale.get("cpu_per_request"):
            cpu = scale["cpu_per_request"]
            requests = sorted({int(row["requests"]) for row in cpu.values()})
            lines += [
                "",
                "CPU ms per request, by process group: "
                + "/".join(str(count) for count in requests)
                + f" requests one after the other through the gateway after {costs.WARM_REQUESTS}"
                f" to warm up, {costs.ROUNDS} times; the round with the least total is shown (as "
                "`timeit` advises: on a shared machine other work only slows a round down). "
                "CPU is every thread's time on a CPU as the kernel's scheduler counts it (ns), "
                "divided by the requests; "
                f"groups under {CPU_COLUMN_MIN_MS:g} ms in every "
                "row are summed in `others`; wall p50 in ms",
                "",
            ]
            lines += cpu_table(cpu)
        if scale.get("saturation"):
            lines += [
                "",
                "Requests/s at saturation: locust users without pauses, doubled until the "
                "scenario's requests/s (all its requests) grow by less than 10 %; the best "
                "step, then every step. Locust shares the machine's CPUs with the stack.",
                "",
            ]
            lines += saturation_table(scale["saturation"])
        if scale.get("propagation"):
            lines += [""]
            lines += _table(
                ["propagation", "samples", "p50", "p95", "max"],
                [
                    [row, value["samples"], value["p50_ms"], value["p95_ms"], value["max_ms"]]
                    for row, value in scale["propagation"].items()
                ],
            )
        if scale.get("notifications"):
            fanout, jobs = scale["notifications"]["fanout"], scale["notifications"]["jobs"]
            lines += [""]
            lines += _table(
                ["notifications", "value"],
                [
                    [
                        f"{fanout['tasks']}-task burst -> every notification (s)",
                        fanout["every_notification_s"],
                    ],
                    ["... of which posting the PPAs (s)", fanout["posting_s"]],
                    ["generated tasks notified per second", fanout["tasks_per_s"]],
                    *(_job_row(name, value) for name, value in jobs.items()),
                ],
            )
        if scale.get("exports"):
            lines += [""]
            lines += _table(
                [
                    "export",
                    "rows",
                    "s",
                    "rows/s",
                    "MB",
                    "serving RSS before MB",
                    "peak MB",
                    "largest growth MB",
                ],
                [
                    [
                        name,
                        value["rows"],
                        value["seconds"],
                        value["rows_per_s"],
                        value["mb"],
                        value["rss_before_mb"],
                        value["rss_peak_mb"],
                        value["rss_growth_mb"],
                    ]
                    for name, value in scale["exports"].items()
                ],
            )
        if scale.get("idle_cpu_ms_per_s"):
            idle = scale["idle_cpu_ms_per_s"]
            lines += [
                "",
                "Idle: CPU ms per second with no request "
                f"(target: the whole stack <= {IDLE_LIMIT_MS_PER_S:g})",
                "",
            ]
            lines += _table(
                ["process", "CPU ms/s"],
                [
                    *([name, value] for name, value in sorted(idle.items())),
                    ["whole stack", round(sum(idle.values()), 2)],
                ],
            )
        if scale.get("memory_mb"):
            after_load = scale.get("memory_after_load_mb", {})
            lines += [""]
            lines += _table(
                ["process", "RSS MB at rest", "right after the load"],
                [
                    [name, f"{value:.0f}", _mb(after_load.get(name))]
                    for name, value in scale["memory_mb"].items()
                ],
            )
    notes = results.get("notes")
    if notes:
        lines += ["", "## Notes", "", *notes]
    return "\n".join(lines) + "\n"


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _job_row(name: str, job: dict[str, Any]) -> list[Any]:
    """A scheduled job's duration and what it sent; the digest's also out of how many people
    were due and had something waiting."""
    if "due" not in job:
        return [f"{name} job (ms; sent)", f"{job['ms']}; {job['sent']}"]
    return [
        f"{name} job (ms; sent; people due; with something waiting)",
        f"{job['ms']}; {job['sent']}; {job['due']}; {job['waiting']}",
    ]


def chart(results: dict[str, Any], path: Path) -> bool:
    """Latency against the number of tasks, one line per request; False with < 2 scales."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scales = [
        scale for scale in results["scales"].values() if scale.get("http") and scale["dataset"]
    ]
    if len(scales) < 2:
        return False
    figure, axes = plt.subplots(figsize=(7, 4.5))
    sizes = [scale["dataset"]["counts"]["tasks"] for scale in scales]
    for row, metric in (
        (FEED_MONTH_COLD, "p50_ms"),
        (FEED_YEAR_COLD, "p50_ms"),
        (DASHBOARD, "p95_ms"),
        ("tasks: my open", "p95_ms"),
    ):
        values = [scale["http"].get(row, {}).get(metric) for scale in scales]
        if all(value is not None for value in values):
            axes.plot(sizes, values, marker="o", label=f"{row} ({metric.split('_')[0]})")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("tasks in the dataset")
    axes.set_ylabel("latency (ms)")
    axes.set_title("OBCMS: latency as data grows")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


# A process's RSS after a run depends on what the run asked of it: measured after some
# scenarios only, it is not the whole load's.
MEMORY_SECTIONS = ("memory_mb", "memory_after_load_mb")


def merge_scale(
    earlier: dict[str, Any], measured: dict[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    """A scale's numbers after a run that measured `measured` (a run of some scenarios):
    each section's rows measured again replace the earlier ones, the others are kept. After
    a `partial` run (some scenarios) a process's memory row only ever grows: a lighter load
    does not show what the whole one takes (a full run replaces them)."""
    merged = dict(earlier)
    for section, rows in measured.items():
        kept = earlier.get(section)
        if partial and section in MEMORY_SECTIONS and isinstance(kept, dict):
            rows = {name: max(mb, kept.get(name, mb)) for name, mb in rows.items()}
        merged[section] = (
            {**kept, **rows} if isinstance(kept, dict) and isinstance(rows, dict) else rows
        )
    return merged


def write(results: dict[str, Any], out_dir: Path) -> str:
    """results.json, growth.png (with two scales or more) and REPORT.md; returns the
    Markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results["targets"] = evaluate(results)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    has_chart = chart(results, out_dir / "growth.png")
    text = markdown(results, "growth.png" if has_chart else None)
    (out_dir / "REPORT.md").write_text(text)
    return text
