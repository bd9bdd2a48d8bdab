"""Writes benchmark results to docs/benchmarks: a markdown table and a chart per run.

Each bench script prints its figures and, through this module, leaves a record of
them in the repository: ``<name>.md`` with the table, notes and the command, date
and machine that produced it, and ``<name>.png`` with a chart (matplotlib, Agg).
"""

from __future__ import annotations

import os
import platform
import shlex
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")  # no display: charts only go to files
import matplotlib.pyplot as plt  # after use(): the backend is chosen first

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "benchmarks"


def write_markdown(
    name: str,
    title: str,
    intro: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    notes: Sequence[str] = (),
) -> Path:
    """Write docs/benchmarks/<name>.md: title, intro, table, notes and provenance."""
    lines = [f"# {title}", "", intro.strip(), "", *_table(headers, rows), ""]
    if notes:
        lines += [f"- {note}" for note in notes] + [""]
    lines.append(f"Produced by `{command()}` on {_today()}, {machine()}.")
    return _write(OUTPUT / f"{name}.md", "\n".join(lines) + "\n")


def bar_chart(
    name: str,
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    ylabel: str,
) -> Path:
    """Write docs/benchmarks/<name>.png: a group of bars per label, a bar per series."""
    figure, axes = plt.subplots(figsize=(7, 4.2))
    width = 0.8 / max(len(series), 1)
    for index, (series_name, values) in enumerate(series.items()):
        positions = [
            i + (index - (len(series) - 1) / 2) * width for i in range(len(labels))
        ]
        bars = axes.bar(positions, values, width, label=series_name)
        axes.bar_label(bars, fmt="%.3g", fontsize=8)
    axes.set_xticks(range(len(labels)), labels)
    return _save(figure, axes, name, title, ylabel)


def line_chart(
    name: str,
    title: str,
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    xlabel: str,
    ylabel: str,
    *,
    logx: bool = False,
) -> Path:
    """Write docs/benchmarks/<name>.png: one line with markers per series."""
    figure, axes = plt.subplots(figsize=(7, 4.2))
    for series_name, values in series.items():
        axes.plot(x, values, marker="o", label=series_name)
    if logx:
        axes.set_xscale("log")
    axes.set_xlabel(xlabel)
    return _save(figure, axes, name, title, ylabel)


def command() -> str:
    """The command line that is running, as typed from the repository root."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(ROOT) if script.is_relative_to(ROOT) else script
    return shlex.join([".venv/bin/python", str(shown), *sys.argv[1:]])


def machine() -> str:
    """CPU model and core count of this machine."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    return f"{model}, {os.cpu_count()} cores"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    return [
        _row(headers),
        _row(["---"] * len(headers)),
        *(_row([_cell(value) for value in row]) for row in rows),
    ]


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value).replace("|", "\\|")


def _save(
    figure: plt.Figure, axes: plt.Axes, name: str, title: str, ylabel: str
) -> Path:
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    axes.grid(axis="y", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path = OUTPUT / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    print(f"wrote {_shown(path)}")
    return path


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {_shown(path)}")
    return path


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")
