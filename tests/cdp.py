"""A tiny Chrome DevTools Protocol client over --remote-debugging-pipe (no websocket needed).

Chromium reads NUL-terminated JSON commands on its fd 3 and writes replies and events on its
fd 4. The client opens a page, records console messages, exceptions, log entries and every
network request, and can take a screenshot. Used by the browser tests and the benchmark.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio",
         "--remote-debugging-pipe"]


@dataclass
class PageLoad:
    """What happened while one page loaded."""

    url: str
    load_seconds: float
    requests: list[str] = field(default_factory=list)
    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    dom_nodes: int = 0
    first_paint_seconds: float | None = None
    viewport_width: int = 0
    """The layout viewport's width in CSS pixels (``documentElement.clientWidth``)."""
    scroll_width: int = 0
    """``documentElement.scrollWidth``: wider than the viewport means the page scrolls sideways."""
    probe: Any = None
    """What the ``probe`` expression given to ``load`` returned (JSON values only)."""

    @property
    def console_errors(self) -> list[str]:
        """Errors from the page: console errors, uncaught exceptions, error log entries."""
        errors = [json.dumps(c.get("args", []))[:300] for c in self.console
                  if c.get("type") in ("error", "assert")]
        errors += [json.dumps(e)[:300] for e in self.exceptions]
        errors += [f"{e.get('source')}: {e.get('text')}" for e in self.log
                   if e.get("level") == "error"]
        return errors

    @property
    def outside_requests(self) -> list[str]:
        """Requests for anything but the page itself."""
        return [u for u in self.requests if u != self.url]


class Browser:
    """One headless Chromium driven over a pipe; use as a context manager."""

    def __init__(self, width: int = 1280, height: int = 1800, timeout: float = 120) -> None:
        self.width, self.height, self.timeout = width, height, timeout
        self._profile = tempfile.TemporaryDirectory(prefix="auditor-chromium-")
        cmd_r, cmd_w = os.pipe()
        out_r, out_w = os.pipe()
        high_cmd = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
        high_out = fcntl.fcntl(out_w, fcntl.F_DUPFD, 10)
        os.close(cmd_r)
        os.close(out_w)
        def child_fds() -> None:  # runs in the child between fork and exec
            os.dup2(high_cmd, 3)
            os.dup2(high_out, 4)

        # close_fds=False keeps the dup2'ed 3 and 4; every other fd Python opened is
        # close-on-exec already (PEP 446), so nothing else leaks into the browser.
        self._proc = subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
            preexec_fn=child_fds, close_fds=False, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("CDP_DEBUG") else subprocess.DEVNULL)
        os.close(high_cmd)
        os.close(high_out)
        self._write, self._read = cmd_w, out_r
        self._buffer = b""
        self._next_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Ask the browser to quit, then make sure it is gone."""
        with contextlib.suppress(OSError):
            self.send("Browser.close", wait=False)
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=20)
        for fd in (self._write, self._read):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._profile.cleanup()

    def _pump(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no answer from chromium")
        ready, _, _ = select.select([self._read], [], [], min(remaining, 1.0))
        if not ready:
            return
        chunk = os.read(self._read, 1 << 20)
        if not chunk:
            raise ConnectionError("chromium closed the pipe")
        self._buffer += chunk
        while b"\0" in self._buffer:
            raw, self._buffer = self._buffer.split(b"\0", 1)
            message = json.loads(raw)
            if "id" in message:
                self._replies[message["id"]] = message
            else:
                self.events.append(message)

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, wait: bool = True) -> dict[str, Any]:
        """Send one command; return its result (raises on a protocol error)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        if not wait:
            return {}
        deadline = time.monotonic() + self.timeout
        while self._next_id not in self._replies:
            self._pump(deadline)
        reply = self._replies.pop(self._next_id)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def wait_event(self, method: str, session: str) -> dict[str, Any]:
        """Block until an event of ``method`` arrives for ``session``."""
        deadline = time.monotonic() + self.timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            seen = len(self.events)
            self._pump(deadline)

    def pdf(self, path: Path) -> bytes:
        """Print ``path`` as the page's own print CSS asks (paper size from @page)."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable", session=session)
        self.send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
        self.wait_event("Page.loadEventFired", session)
        data = self.send("Page.printToPDF", {"preferCSSPageSize": True}, session=session)
        self.send("Target.closeTarget", {"targetId": target})
        return base64.b64decode(data["data"])

    def load(self, path: Path, screenshot: Path | None = None, *, width: int | None = None,
             height: int | None = None, mobile: bool = False, full_page: bool = False,
             probe: str | None = None) -> PageLoad:
        """Open ``path`` in a new tab, wait for its load event, and report what happened.

        ``width``/``height``/``mobile`` emulate a device (a phone: 390, 844, True);
        ``full_page`` screenshots the whole page, not only the viewport (capped at 16,000 px);
        ``probe`` is a JavaScript expression evaluated after the load, its value kept.
        """
        width, height = width or self.width, height or self.height
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.send(method, session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1,
                   "mobile": mobile}, session=session)
        url = path.resolve().as_uri()
        start_index = len(self.events)
        started = time.monotonic()
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session)
        loaded = time.monotonic() - started
        nodes = self.send("Runtime.evaluate", {
            "expression": "document.getElementsByTagName('*').length",
            "returnByValue": True}, session=session)["result"].get("value", 0)
        first_paint = None
        paint_deadline = time.monotonic() + 3.0  # the paint entry may come after the load
        while first_paint is None and time.monotonic() < paint_deadline:
            paint = self.send("Runtime.evaluate", {
                "expression": "(performance.getEntriesByName('first-contentful-paint')[0] "
                              "|| {}).startTime || null", "returnByValue": True},
                session=session)
            first_paint = paint["result"].get("value")
            if first_paint is None:
                time.sleep(0.1)
        sizes = self.send("Runtime.evaluate", {
            "expression": "[document.documentElement.clientWidth, "
                          "document.documentElement.scrollWidth, "
                          "document.documentElement.scrollHeight]",
            "returnByValue": True}, session=session)["result"].get("value", [0, 0, 0])
        probed = None
        if probe is not None:
            probed = self.send("Runtime.evaluate", {"expression": probe, "returnByValue": True},
                               session=session)["result"].get("value")
        if screenshot is not None:
            shot: dict[str, Any] = {"format": "png"}
            if full_page:
                shot |= {"captureBeyondViewport": True, "clip": {
                    "x": 0, "y": 0, "width": int(sizes[1]), "height": min(int(sizes[2]), 16000),
                    "scale": 1}}
            data = self.send("Page.captureScreenshot", shot, session=session)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(data["data"]))
        # let late console messages and requests arrive before judging
        settle = time.monotonic() + 1.0
        while time.monotonic() < settle:
            self._pump(settle + 0.01)
        result = PageLoad(url=url, load_seconds=loaded, dom_nodes=int(nodes),
                          first_paint_seconds=None if first_paint is None else first_paint / 1000,
                          viewport_width=int(sizes[0]), scroll_width=int(sizes[1]), probe=probed)
        for event in self.events[start_index:]:
            if event.get("sessionId") != session:
                continue
            params = event.get("params", {})
            method = event.get("method")
            if method == "Network.requestWillBeSent":
                result.requests.append(params["request"]["url"])
            elif method == "Runtime.consoleAPICalled":
                result.console.append(params)
            elif method == "Runtime.exceptionThrown":
                result.exceptions.append(params)
            elif method == "Log.entryAdded":
                result.log.append(params["entry"])
        self.send("Target.closeTarget", {"targetId": target})
        return result
