"""A hostile pemda report copied by the review stays put in real Chromium: no navigation, no fetch.

The page tries every way we know to move the reader or reach out without a click (meta
refresh in many spellings and places, a srcdoc frame, base, forms, prefetch hints); a server
on loopback counts every connection it gets. The same page opened as the pemda wrote it is
the negative control: there the browser does leave, so the harness sees it.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auditor.bundle.signing import sign_bundle
from auditor.review.inert import BOM, NO_SCRIPTS, inert_copy, neutralise
from cdp import CHROMIUM, Browser
from conftest import run_cli

WATCH_SECONDS = 4.0
"""How long a page is watched after its load event (the refreshes below wait 0 or 1 s)."""


@dataclass
class Counter:
    """What the loopback server saw."""

    port: int = 0
    connections: int = 0
    paths: list[str] = field(default_factory=list)


@contextlib.contextmanager
def counting_server() -> Iterator[Counter]:
    """An HTTP server on 127.0.0.1 that counts connections and requested paths."""
    seen = Counter()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.paths.append(self.path)
            body = b"<!DOCTYPE html><title>away</title><p>the reader was moved here"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            return

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self) -> Any:
            request = super().get_request()
            seen.connections += 1
            return request

    server = Server(("127.0.0.1", 0), Handler)
    seen.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def refreshes(away: str) -> dict[str, str]:
    """Meta refreshes in many spellings and places, by the path each one would open."""
    return {
        "/plain": f'<meta http-equiv="refresh" content="0;url={away}/plain">',
        "/upper": f"<META HTTP-EQUIV=REFRESH CONTENT='0; URL={away}/upper'>",
        "/entities": f'<meta http-equiv="&#82;efresh" '
                     f'content="0;url=&#104;ttp{away[4:]}/entities">',
        "/spaced": f'<meta\n\thttp-equiv\n=\n"Refresh"\ncontent="1;  url = \'{away}/spaced\'">',
        "/slashes": f'<meta/http-equiv="refresh"/content="0;url={away}/slashes">',
        "/after": f'<meta content="0;url={away}/after" http-equiv="refresh">',
        "/svg": f'</head><body><svg><meta http-equiv="refresh" content="0;url={away}/svg">',
        "/noscript": f'<noscript><meta http-equiv="refresh" content="0;url={away}/noscript">'
                     f"</noscript>",
        "/template": f'<template><meta http-equiv="refresh" content="0;url={away}/template">'
                     f"</template>",
        "/srcdoc": f'</head><body><iframe srcdoc="<meta h&#116;tp-equiv=refresh '
                   f'content=\'0;url={away}/srcdoc\'>"></iframe>',
        "javascript": '<meta http-equiv="refresh" content="0;url=javascript:document.title=1">',
        "data": '<meta http-equiv="refresh" content="0;url=data:text/html,<title>1</title>">',
        "reload": '<meta http-equiv="refresh" content="0">',
    }


MOVES_BEHIND_POLICY = ("/plain", "/upper", "/entities", "/spaced", "/slashes", "/after", "/svg")
"""The refreshes that do move the reader when only the policy guards the page."""


def page_with(head: str) -> str:
    """A small report whose head holds ``head``."""
    return (f"<!DOCTYPE html><html><head><title>laporan</title>{head}</head>"
            f'<body><p id="x">ok</p></body></html>')


def hostile_report(away: str) -> str:
    """A report that tries every way we know to move the reader or reach ``away`` unasked."""
    return page_with(
        "".join(v for k, v in refreshes(away).items() if "body" not in v) +
        f'<meta http-equiv="set-cookie" content="a=b"><meta http-equiv="x-dns-prefetch-control"'
        f' content="on"><link rel="dns-prefetch" href="{away}/dns">'
        f'<link rel="preconnect" href="{away}/"><base href="{away}/base/">'
        f'<link rel="prefetch" href="{away}/prefetch"><link rel="prerender" href="{away}/pre">'
        f'<link rel="preload" as="image" href="{away}/preload.png">'
        f'<link rel="icon" href="{away}/favicon.ico"><link rel="stylesheet" href="{away}/s.css">'
        f"<style>@import url({away}/i.css); body{{background:url({away}/bg.png)}}</style>"
        f'</head><body><img src="relative.png"><img src="{away}/img.png">'
        f'{refreshes(away)["/svg"]}{refreshes(away)["/srcdoc"]}'
        f'<iframe src="{away}/frame"></iframe><object data="{away}/object"></object>'
        f'<embed src="{away}/embed"><form action="{away}/form" method="post">'
        f'<input name="q" autofocus><button autofocus>kirim</button></form>'
        f'<video poster="{away}/poster.png"></video>'
        f"<script>location = '{away}/script'</script>")


def watch(browser: Browser, pages: list[Path]) -> list[dict[str, Any]]:
    """Open ``pages`` in tabs side by side, watch them for WATCH_SECONDS after their load
    events, and say for each where its tab went and what it asked for."""
    start = len(browser.events)
    tabs = []
    for page in pages:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget",
                               {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "Network.enable", "Runtime.enable"):
            browser.send(method, session=session)
        browser.send("Page.navigate", {"url": page.as_uri()}, session=session)
        tabs.append((target, session))
    for _, session in tabs:
        browser.wait_event("Page.loadEventFired", session)
    places: dict[str, list[tuple[str, ...]]] = {session: [] for _, session in tabs}
    deadline = time.monotonic() + WATCH_SECONDS
    while time.monotonic() < deadline:  # bounded: a few dozen rounds
        for _, session in tabs:
            try:
                reply = browser.send("Runtime.evaluate", {
                    "expression": "[location.href, document.title]", "returnByValue": True},
                    session=session)
                places[session].append(tuple(reply["result"].get("value") or ()))
            except RuntimeError:  # the context went away mid-navigation
                places[session].append(("navigating", ""))
        time.sleep(0.2)
    seen = []
    for target, session in tabs:
        events = [e for e in browser.events[start:] if e.get("sessionId") == session]
        browser.send("Target.closeTarget", {"targetId": target})
        blocked = {e["params"]["requestId"]: e["params"].get("blockedReason") for e in events
                   if e.get("method") == "Network.loadingFailed"}
        seen.append({
            "places": set(places[session]),
            "navigated": [e["params"]["frame"]["url"] for e in events
                          if e.get("method") == "Page.frameNavigated"
                          and not e["params"]["frame"].get("parentId")],
            "requests": [(e["params"]["request"]["url"],
                          blocked.get(e["params"]["requestId"], "sent"))
                         for e in events if e.get("method") == "Network.requestWillBeSent"]})
    return seen


def stayed(page: Path, seen: dict[str, Any]) -> None:
    """The tab never left ``page``, kept its title, and fetched nothing but blocked requests."""
    own = page.as_uri()
    assert seen["navigated"] == [own], seen
    assert seen["places"] == {(own, "laporan")}, seen
    assert [(url, why) for url, why in seen["requests"] if url != own
            and why != "csp" and not url.startswith("data:")] == [], seen


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium")
    with Browser() as b:
        yield b


pytestmark = pytest.mark.browser


def test_every_meta_refresh_is_inert_in_the_copy(browser: Browser, tmp_path: Path) -> None:
    """Each spelling alone: behind the policy only it moves the reader; in the copy it cannot."""
    with counting_server() as server:
        away = f"http://127.0.0.1:{server.port}"
        guarded, copies = [], []
        for number, meta in enumerate(refreshes(away).values()):
            html = page_with(meta).encode()
            guarded.append(tmp_path / f"policy-only-{number}.html")
            guarded[-1].write_bytes(BOM + NO_SCRIPTS + html)
            copies.append(tmp_path / f"copy-{number}.html")
            copies[-1].write_bytes(inert_copy(html))
        before = watch(browser, guarded)
        moved = {name for name, seen in zip(refreshes(away), before, strict=True)
                 if any(url.startswith(away) for url in seen["navigated"])}
        # the negative control: the policy alone lets these through, so the harness sees it
        assert moved == set(MOVES_BEHIND_POLICY), before
        server.paths.clear()
        server.connections = 0
        after = watch(browser, copies)
        assert server.connections == 0 and server.paths == [], server
    for page, seen in zip(copies, after, strict=True):
        stayed(page, seen)


def test_an_encoding_cannot_hide_a_refresh_from_the_renaming(browser: Browser,
                                                              tmp_path: Path) -> None:
    """In ISO-2022-JP an escape sequence decodes to nothing, so ``h ESC ( B ttp-equiv`` reads
    as http-equiv though the bytes do not hold it: renaming alone misses it; the BOM, which
    keeps the page UTF-8, makes the escape a plain (harmless) character of the name."""
    with counting_server() as server:
        page = (b'<!DOCTYPE html><html><head><meta charset="iso-2022-jp"><title>laporan</title>'
                b'<meta h\x1b(Bttp-equiv="refresh" content="0;url=http://127.0.0.1:'
                + str(server.port).encode() + b'/iso">'
                b"</head><body><p>ok</p></body></html>")
        renamed, copy = tmp_path / "renamed.html", tmp_path / "copy.html"
        renamed.write_bytes(neutralise(page))
        copy.write_bytes(inert_copy(page))
        before, after = watch(browser, [renamed, copy])
        assert server.paths[:1] == ["/iso"], before  # the negative control
        assert before["navigated"][-1].endswith("/iso")
    stayed(copy, after)


def test_hostile_report_copied_by_the_review_stays_put(browser: Browser, example_bundle: Path,
                                                       tmp_path: Path) -> None:
    """Through the CLI: everything at once, and the server hears nothing."""
    with counting_server() as server:
        folder = tmp_path / "bundle"
        shutil.copytree(example_bundle, folder)
        results = json.loads((folder / "results.json").read_text())
        results["organisation"]["code"] = "33.99"
        (folder / "results.json").write_text(json.dumps(results))
        (folder / "report.html").write_text(hostile_report(f"http://127.0.0.1:{server.port}"))
        sign_bundle(folder, Ed25519PrivateKey.generate())
        out = tmp_path / "review"
        result = run_cli("review", str(folder), "-o", str(out))
        assert result.returncode == 0, result.stderr
        copied = next((out / "org").glob("*/report.html"))
        (seen,) = watch(browser, [copied])
        assert server.connections == 0 and server.paths == [], (server, seen)
    stayed(copied, seen)


def test_inert_copy_renames_every_spelling_and_fixes_the_encoding() -> None:
    page = (b"\xff\xfe<!doctype html><META HTTP-EQUIV=refresh><meta hTTp-eQuIv=x>"
            b"<IFRAME SRCDOC=x></iframe ><p>http-equiv</p><link\trel=x/REL='y'>")
    copy = inert_copy(page)
    assert copy.startswith(BOM + b"<!doctype html>\n<meta charset=\"utf-8\">")
    body = copy.split(b'content="off">\n', 1)[1]
    assert body == (b"<META data-inert-HTTP-EQUIV=refresh><meta data-inert-hTTp-eQuIv=x>"
                    b"<x-inert-IFRAME SRCDOC=x></x-inert-iframe ><p>data-inert-http-equiv</p>"
                    b"<link\tdata-inert-rel=x/data-inert-REL='y'>")
    text = b"<p>os-release, rel kereta api, relevan; <noembed>x</noembed><objects>"
    assert neutralise(text) == text.replace(b" rel ", b" data-inert-rel ")
