"""``lpj bench --plot``: req/s and p99 latency against concurrency, one line per server."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def plot(results: Sequence[dict[str, Any]], path: str | Path, title: str = "LPJ-RPC/1 ping") -> None:
    """Draw two panels (req/s, p99 ms) against requests in flight (connections x pipeline).

    Results with the smallest payload are drawn; those of one server and one pipeline depth
    form a line, pipelined ones dashed.  Needs matplotlib (the ``bench`` extra).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    smallest = min(r["payload"] for r in results)
    series: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in results:
        if r["payload"] == smallest:
            series.setdefault((r["server"], r["pipeline"]), []).append(r)
    servers = list(dict.fromkeys(r["server"] for r in results))
    colours = {name: f"C{i % 10}" for i, name in enumerate(servers)}
    fig, (rate_ax, p99_ax) = plt.subplots(1, 2, figsize=(12, 5), constrained_layout=True)
    for (server, pipeline), points in series.items():
        points.sort(key=lambda r: r["connections"] * r["pipeline"])
        x = [r["connections"] * r["pipeline"] for r in points]
        style = {
            "color": colours[server],
            "marker": "o" if pipeline == 1 else "s",
            "linestyle": "-" if pipeline == 1 else "--",
        }
        label = server if pipeline == 1 else f"{server}, pipeline {pipeline}"
        rate_ax.plot(x, [r["rps"] for r in points], label=label, **style)
        p99_ax.plot(x, [r["latency_ms"]["p99"] for r in points], label=label, **style)
    for ax, ylabel in ((rate_ax, "requests per second"), (p99_ax, "p99 latency (ms)")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("requests in flight (connections x pipeline depth)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    p99_ax.set_yscale("log")
    rate_ax.legend(fontsize="small")
    fig.suptitle(f"{title}, {smallest}-byte params")
    fig.savefig(path, dpi=110)
    plt.close(fig)
