"""One bounded HTTP GET: timeout, body size cap, redirects only within the same origin."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from auditor.collect.web.options import WebOptions
from auditor.collect.web.watchdog import Watchdog, watched_adapter

MAX_HEADERS = 64
"""Headers kept at most from one response (http.client refuses more than 100)."""
MAX_HEADER_VALUE = 8192
"""Characters kept of one header value for analysis (stored facts are shorter still)."""


class FetchError(Exception):
    """A request that gave no HTTP response; ``kind`` is timeout, unreachable, tls or error."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True)
class Response:
    """A capped HTTP response."""

    url: str
    """The URL that gave this response (after same-origin redirects)."""
    status: int
    headers: dict[str, str]
    """Lower-case header names; repeated headers joined with ', '; values capped."""
    body: bytes
    truncated: bool
    """True when the body was longer than the cap and was not read to its end."""
    redirects: tuple[str, ...] = ()
    """URLs redirected from, in order."""
    charset: str | None = None

    @property
    def location(self) -> str | None:
        """Absolute redirect target, when the response is a redirect."""
        target = self.headers.get("location")
        if target is None or not 300 <= self.status < 400:
            return None
        return urljoin(self.url, target.strip())


def same_origin(a: str, b: str) -> bool:
    """True when both URLs have the same scheme, host and port."""
    pa, pb = urlsplit(a), urlsplit(b)
    try:
        return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)
    except ValueError:
        return False


def new_session(watchdog: Watchdog) -> requests.Session:
    """A session watched by ``watchdog`` that ignores proxies, .netrc and CA variables."""
    session = requests.Session()
    session.trust_env = False
    adapter = watched_adapter(watchdog)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _classify(exc: BaseException) -> FetchError:
    text = str(exc)[:200]
    if isinstance(exc, requests.exceptions.SSLError):
        return FetchError("tls", f"TLS error: {text}")
    if isinstance(exc, requests.exceptions.Timeout | TimeoutError):
        return FetchError("timeout", "no answer within the timeout")
    if isinstance(exc, requests.exceptions.ConnectionError):
        inner = exc.args[0] if exc.args else None
        reason = getattr(inner, "reason", inner)
        if isinstance(reason, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
            return FetchError("unreachable", "connection refused or no route to the service")
        if isinstance(reason, urllib3.exceptions.ConnectTimeoutError):
            return FetchError("timeout", "no answer within the timeout")
        if isinstance(reason, urllib3.exceptions.ReadTimeoutError):
            return FetchError("timeout", "no answer within the timeout")
        return FetchError("error", f"invalid or interrupted HTTP response: {text}")
    return FetchError("error", f"invalid HTTP response: {type(exc).__name__}: {text}")


def _read_capped(response: requests.Response, limit: int, deadline: float) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=16384):
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit or time.monotonic() > deadline:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


def _headers(response: requests.Response) -> dict[str, str]:
    raw = response.raw.headers if response.raw is not None else response.headers
    kept: dict[str, str] = {}
    items = raw.items()
    for name, value in items:
        key = str(name).lower()[:100]
        if key not in kept and len(kept) >= MAX_HEADERS:
            continue
        value = str(value)[:MAX_HEADER_VALUE]
        kept[key] = f"{kept[key]}, {value}"[:MAX_HEADER_VALUE] if key in kept else value
    return kept


def get_once(session: requests.Session, url: str, options: WebOptions, verify: bool | str,
             deadline: float, *, max_body: int | None = None,
             user_agent: str | None = None) -> Response:
    """One GET of ``url``, no redirect followed; raise FetchError when there is no response."""
    timeout = max(0.1, min(options.timeout, deadline - time.monotonic()))
    limit = options.max_body_bytes if max_body is None else max_body
    try:
        with session.get(url, timeout=(timeout, timeout), allow_redirects=False, stream=True,
                         verify=verify,
                         headers={"User-Agent": user_agent or options.user_agent,
                                  "Accept": "text/html,*/*;q=0.5",
                                  "Accept-Encoding": "gzip, deflate"}) as response:
            headers = _headers(response)
            body, truncated = _read_capped(response, limit, time.monotonic() + timeout)
            if time.monotonic() >= deadline:
                raise FetchError("timeout", "time budget for the service spent")
            return Response(url=url, status=response.status_code, headers=headers, body=body,
                            truncated=truncated, charset=response.encoding)
    except (requests.RequestException, http.client.HTTPException, urllib3.exceptions.HTTPError,
            OSError, ValueError) as exc:
        if time.monotonic() >= deadline:
            raise FetchError("timeout", "time budget for the service spent") from None
        raise _classify(exc) from None


def get(session: requests.Session, url: str, options: WebOptions, verify: bool | str,
        deadline: float, *, follow: bool = True, user_agent: str | None = None) -> Response:
    """GET ``url``, following at most ``max_redirects`` redirects within the same origin."""
    seen: list[str] = []
    response = get_once(session, url, options, verify, deadline, user_agent=user_agent)
    while follow and len(seen) < options.max_redirects:
        target = response.location
        if target is None or not same_origin(url, target) or target in seen or target == url:
            break
        seen.append(response.url)
        response = get_once(session, target, options, verify, deadline, user_agent=user_agent)
    return Response(url=response.url, status=response.status, headers=response.headers,
                    body=response.body, truncated=response.truncated, redirects=tuple(seen),
                    charset=response.charset)
