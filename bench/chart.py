"""Draws bench/results/serving.png from bench/results/serving.json (requests/s and p99 per target and connection count)."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

source, target = sys.argv[1], sys.argv[2]
rows = json.load(open(source))["serving"]
targets = list(dict.fromkeys(r["target"] for r in rows))
levels = sorted({r["connections"] for r in rows})

fig, (rps_ax, p99_ax) = plt.subplots(1, 2, figsize=(14, 5.5))
width = 0.8 / len(levels)
for i, level in enumerate(levels):
    rps = [next((r["requestsPerSecond"] for r in rows if r["target"] == t and r["connections"] == level), 0) for t in targets]
    p99 = [next((r["p99Ms"] for r in rows if r["target"] == t and r["connections"] == level), 0) for t in targets]
    xs = [x + (i - (len(levels) - 1) / 2) * width for x in range(len(targets))]
    rps_ax.bar(xs, rps, width, label=f"{level} connections")
    p99_ax.bar(xs, p99, width, label=f"{level} connections")

for ax, title, unit in ((rps_ax, "Throughput", "requests/s"), (p99_ax, "p99 latency", "ms (log)")):
    ax.set_title(title)
    ax.set_ylabel(unit)
    ax.set_xticks(range(len(targets)))
    ax.set_xticklabels(targets, rotation=25, ha="right", fontsize=8)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
p99_ax.set_yscale("log")
fig.suptitle("POST {\"foo\":\"abc\",\"bar\":1} -> {\"fooLength\":3}, wrk on 127.0.0.1, 2 cores")
fig.tight_layout()
fig.savefig(target, dpi=110)
