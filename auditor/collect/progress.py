"""Progress display for long work: one updating line on a terminal, silence elsewhere."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from auditor.collect.scan import HostResult, Progress


class ScanProgress:
    """Renders scan progress as ``hosts done/total, failures, slowest running host``."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._last = 0.0

    def __call__(self, progress: Progress, result: HostResult | None) -> None:
        """Redraw at most ten times a second, and always at the end."""
        if not self.enabled:
            return
        now = time.monotonic()
        if progress.done < progress.total and now - self._last < 0.1:
            return
        self._last = now
        line = f"scan: {progress.done}/{progress.total} hosts, {progress.failed} failed"
        running = dict(progress.running)
        if running:
            slowest, since = min(running.items(), key=lambda item: item[1])
            line += f", slowest: {slowest} ({now - since:.0f} s)"
        self.stream.write("\r\x1b[K" + line)
        if progress.done >= progress.total:
            self.stream.write("\n")
        self.stream.flush()
