"""The report: targets judged from the numbers, valid JSON, Markdown tables and the chart."""

from __future__ import annotations

import json
from pathlib import Path

from obcms_bench import report


def _row(p50: float, p95: float) -> dict[str, float]:
    return {
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p95,
        "mean_ms": p50,
        "rps": 10.0,
        "requests": 100,
        "failures": 0,
    }


def _scale(tasks: int, feed_cold: float, dashboard_p95: float) -> dict[str, object]:
    return {
        "dataset": {"counts": {"ppas": tasks // 32, "tasks": tasks}, "seconds": {"records": 1.0}},
        "http": {
            report.FEED_MONTH_COLD: _row(feed_cold, feed_cold * 2),
            report.FEED_MONTH_WARM: _row(12, 20),
            report.FEED_YEAR_COLD: _row(feed_cold * 3, feed_cold * 4),
            report.DASHBOARD: _row(dashboard_p95 / 2, dashboard_p95),
            "tasks: my open": _row(5, 9),
        },
        "propagation": {
            "ppa created -> 10 tasks visible": {
                "samples": 5,
                "p50_ms": 200,
                "p95_ms": 400,
                "max_ms": 450,
            },
        },
        "memory_mb": {
            "tasks-api": 120.0,
            "tasks-api/2": 149.0,
            "gateway/2": 151.5,
            "tasks-worker": 300.0,
        },
    }


def test_the_report_judges_each_target_and_writes_json_markdown_and_chart(tmp_path: Path) -> None:
    results = {
        "meta": {
            "finished_at": "2026-12-01T20:00:00+00:00",
            "machine": "2 CPUs",
            "command": "obcms-bench run",
            "users": 4,
            "seconds": 20,
            "workers": 2,
        },
        "scales": {"ref": _scale(3290, 50, 25), "x10": _scale(32900, 55, 120)},
    }
    results["scales"]["x10"]["notifications"] = {  # type: ignore[index]
        "fanout": {
            "tasks": 1000,
            "posting_s": 20.0,
            "every_notification_s": 80.0,
            "tasks_per_s": 12.5,
        },
        "jobs": {
            "task_reminders": {"ms": 3900.0, "sent": 72},
            "digest": {"ms": 450.0, "sent": 41, "due": 60, "waiting": 41},
        },
    }

    results["scales"]["ref"]["idle_cpu_ms_per_s"] = {"relay": 2.5, "postgres": 1.0}  # type: ignore[index]
    results["scales"]["x10"]["idle_cpu_ms_per_s"] = {"relay": 54.0, "gateway": 4.0}  # type: ignore[index]

    markdown = report.write(results, tmp_path)

    written = json.loads((tmp_path / "results.json").read_text())
    verdicts = {(row["scale"], row["row"]): row["met"] for row in written["targets"]}
    assert verdicts[("ref", report.FEED_MONTH_COLD)] is True  # 50 <= 60
    assert verdicts[("ref", report.FEED_MONTH_WARM)] is False  # 12 > 10
    assert verdicts[("ref", report.DASHBOARD)] is True  # 25 <= 30
    assert verdicts[("x10", report.DASHBOARD)] is False  # 120 > 100
    assert verdicts[("ref", "tasks: my open")] is True
    # A gateway uvicorn worker's 151.5 MB misses; the event worker is no API process.
    memory = [row for row in written["targets"] if row["metric"] == "rss_mb"]
    assert {row["value"] for row in memory} == {151.5}
    assert not any(row["met"] for row in memory)
    # Rows without a measurement (pages were not run) are left out, not judged.
    assert ("ref", "page: calendar") not in verdicts

    assert markdown == (tmp_path / "REPORT.md").read_text()
    assert f"| ref | {report.FEED_MONTH_WARM} | p50_ms | <= 10 | 12 | **missed** |" in markdown
    assert "| x10 | 1028 | 32900 | 55 | 110 | 165 | 220 | 60 | 120 |" in markdown
    assert "| task_reminders job (ms; sent) | 3900.0; 72 |" in markdown
    assert (
        "| digest job (ms; sent; people due; with something waiting) | 450.0; 41; 60; 41 |"
        in markdown
    )
    assert verdicts[("ref", "idle stack, CPU per second")] is True  # 3.5 <= 10
    assert verdicts[("x10", "idle stack, CPU per second")] is False  # 58 > 10
    assert "| whole stack | 58.0 |" in markdown
    assert "![latency as data grows](growth.png)" in markdown
    assert (tmp_path / "growth.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_run_of_some_scenarios_keeps_the_numbers_it_did_not_measure_again() -> None:
    earlier = _scale(32900, 55, 120)
    earlier["notifications"] = {"fanout": {"seconds": 400.0}, "jobs": {"digest_ms": 900.0}}
    # `--only notifications,tasks`: those numbers, the dataset and memory, nothing else.
    again = {
        "dataset": {"counts": {"ppas": 1028, "tasks": 32900}, "seconds": {}, "reused": True},
        "http": {"tasks: my open": _row(7, 11)},
        "notifications": {"fanout": {"seconds": 365.0}, "jobs": {"digest_ms": 650.0}},
        "memory_mb": {"tasks-api": 125.0},
    }

    merged = report.merge_scale(earlier, again)

    assert merged["notifications"] == again["notifications"]
    assert merged["http"]["tasks: my open"]["p95_ms"] == 11
    assert merged["http"][report.FEED_MONTH_COLD] == earlier["http"][report.FEED_MONTH_COLD]  # type: ignore[index]
    assert merged["http"][report.DASHBOARD]["p95_ms"] == 120
    assert merged["propagation"] == earlier["propagation"]
    assert merged["dataset"]["reused"] is True
    assert merged["memory_mb"]["tasks-api"] == 125.0
