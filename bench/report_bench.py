"""Report benchmark: render time and size for 50, 500 and 5,000 hosts, and Chromium load time.

Run from the repository root: ``python bench/report_bench.py [SIZES...]``. Prints a Markdown
table. Chromium columns are left empty when /usr/bin/chromium is missing.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

from synthetic import make_results  # noqa: E402

from auditor.report.machine import render_csv, render_junit  # noqa: E402
from auditor.report.render import render_html, render_markdown  # noqa: E402
from cdp import CHROMIUM, Browser  # noqa: E402


def _mb(size: int) -> str:
    return f"{size / 1e6:.2f} MB"


def _best(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """Fastest of ``runs`` wall-clock timings (the machine may be shared), and the result."""
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def main(sizes: list[int]) -> None:
    render_html(make_results(5), "id")  # compile the templates once, outside the timings
    render_markdown(make_results(5), "id")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
          "best of 3 runs (2 at 5,000 hosts)\n")
    print("| hosts | findings | HTML render | HTML size | Markdown render | Markdown size "
          "| CSV + JUnit render | Chromium first paint | Chromium load event | DOM elements |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        browser = Browser(height=1000, timeout=300) if CHROMIUM.exists() else None
        try:
            for n in sizes:
                results = make_results(n)
                findings = sum(len(s["findings"]) for k in ("sites", "hosts", "services")
                               for s in results[k])
                runs = 2 if n >= 5000 else 3
                html_s, html = _best(runs, lambda r=results: render_html(r, "id"))
                md_s, md = _best(runs, lambda r=results: render_markdown(r, "id"))
                machine_s, _ = _best(runs, lambda r=results: (render_csv(r, "id"),
                                                             render_junit(r, "id")))
                paint, load, nodes = "—", "—", "—"
                if browser is not None:
                    page = Path(tmp) / f"report-{n}.html"
                    page.write_bytes(html)
                    loads = [browser.load(page) for _ in range(2)]
                    result = min(loads, key=lambda x: x.load_seconds)
                    if result.console_errors or result.outside_requests:
                        raise SystemExit(f"{n} hosts: errors {result.console_errors} "
                                         f"requests {result.outside_requests}")
                    load, nodes = f"{result.load_seconds:.2f} s", f"{result.dom_nodes:,}"
                    if result.first_paint_seconds is not None:
                        paint = f"{result.first_paint_seconds:.2f} s"
                print(f"| {n:,} | {findings:,} | {html_s:.2f} s | {_mb(len(html))} | {md_s:.2f} s "
                      f"| {_mb(len(md))} | {machine_s:.2f} s | {paint} | {load} | {nodes} |",
                      flush=True)
        finally:
            if browser is not None:
                browser.close()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [50, 500, 5000])
