"""One self-contained HTML page of a bench run: the header, the table and every plot inlined (SVG as is),
so it can be mailed or attached without its folder."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COLUMNS = ("p50_ms", "p95_ms", "p99_ms", "throughput_per_s", "peak_heap_mib", "max_rss_mib", "build_s")
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
    "table{border-collapse:collapse;font-size:0.9em}td,th{border:1px solid #ccc;padding:0.25em 0.6em}"
    "td.n{text-align:right}pre{background:#f6f6f6;padding:1em;overflow:auto}figure{margin:1em 0}"
)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return html.escape(str(value))


def table(rows: Sequence[dict[str, Any]]) -> str:
    heads = ["workload", "varied", "configuration", *COLUMNS, "recall@10", "MRR", "notes"]
    lines = ["<table>", "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in heads) + "</tr>"]
    for row in rows:
        quality = row.get("quality") or {}
        notes = row.get("skipped") or ", ".join(f"{k}: {v}" for k, v in (row.get("extra") or {}).items())
        cells = [
            f"<td>{cell(row['workload'])}</td>",
            f"<td>{cell(row['varied'])}</td>",
            f"<td>{cell(row['configuration'])}</td>",
            *(f'<td class="n">{cell(row.get(c))}</td>' for c in COLUMNS),
            f'<td class="n">{cell(quality.get("recall@10"))}</td>',
            f'<td class="n">{cell(quality.get("mrr"))}</td>',
            f"<td>{cell(notes)}</td>",
        ]
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def write_html(path: Path, report: dict[str, Any], svgs: Sequence[Path], note: str | None) -> Path:
    figures = []
    for svg in svgs:
        text = svg.read_text(encoding="utf-8")
        text = text[text.find("<svg") :]  # drop the XML prologue and doctype: inline SVG is an element
        figures.append(f"<figure>{text}<figcaption>{html.escape(svg.stem)}</figcaption></figure>")
    head = json.dumps(report["header"], indent=2, ensure_ascii=False)
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>anime-mcp bench</title>',
        f"<style>{STYLE}</style></head><body>",
        "<h1>anime-mcp bench</h1>",
        "<h2>Where and on what</h2>",
        f"<pre>{html.escape(head)}</pre>",
        "<h2>Results</h2>",
        table(report["rows"]),
        "<h2>Plots</h2>",
        *(figures or [f"<p>{html.escape(note or 'no plots')}</p>"]),
        "</body></html>",
    ]
    path.write_text("\n".join(body), encoding="utf-8")
    return path
