"""QueryPerf sent through pyVmomi's own session, its answer read by a streaming XML parser.

pyVmomi turns every sample of a QueryPerf answer into Python objects (a data object and a
parsed timestamp per sample): for 2,000 VMs that was 25 s of CPU, most of a scan. The
request here is pyVmomi's (same session, cookie, TLS and timeout), and the answer is read as
it arrives, in bounded chunks, keeping only each series' numbers. A fault (HTTP 500) is
handed back to pyVmomi's deserialiser, so it raises the same fault objects as any call.
Both answer shapes are read: per-sample elements (``PerfEntityMetric``) and the CSV
strings (``PerfEntityMetricCSV``) a vCenter sends when ``format='csv'`` is asked.
"""

from __future__ import annotations

import http.client
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

NS = "{urn:vim25}"
RETURNVAL = f"{NS}returnval"
CHUNK = 1 << 20
"""Bytes read from the socket at a time."""
MAX_BYTES = 1 << 30
"""Cap on one QueryPerf answer (a 2,000-VM batch of 180 samples is about 60 MB)."""
MAX_FAULT_BYTES = 1 << 22
"""Cap on a fault answer handed to pyVmomi."""
MAX_SAMPLES = 100000
"""Cap on samples kept per series."""


class AnswerTooLarge(ValueError):
    """The server sent more than MAX_BYTES for one QueryPerf (shown as an unexpected answer)."""


@dataclass(frozen=True)
class EntitySeries:
    """The samples one entity's answer carried."""

    entity: str
    """MoRef id (``vm-42``)."""
    interval: int | None
    """Seconds between samples, as the answer states it (None: it did not say)."""
    series: dict[int, list[float]]
    """Counter id to percent samples (hundredths of a percent divided by 100; -1 dropped)."""


def percent(texts: Iterable[str | None]) -> list[float]:
    """Percent samples from texts of hundredths of a percent, each one number or a CSV list."""
    out: list[float] = []
    for text in texts:
        for item in (text or "").split(","):
            try:
                value = int(item)
            except ValueError:
                continue
            if value >= 0 and len(out) < MAX_SAMPLES:
                out.append(value / 100)
    return out


def _interval(element: ET.Element) -> int | None:
    text = element.findtext(f"{NS}sampleInfo/{NS}interval")
    if text is None:
        csv = element.findtext(f"{NS}sampleInfoCSV") or ""
        text = csv.split(",", 1)[0]  # "interval,timestamp,interval,timestamp,..."
    try:
        value = int(text.strip())
    except ValueError:
        return None
    return value if value > 0 else None


def _entity(element: ET.Element) -> EntitySeries | None:
    entity = (element.findtext(f"{NS}entity") or "").strip()[:128]
    if not entity:
        return None
    series: dict[int, list[float]] = {}
    for value in element.iterfind(f"{NS}value"):
        try:
            counter = int(value.findtext(f"{NS}id/{NS}counterId") or "")
        except ValueError:
            continue
        series[counter] = percent(v.text for v in value.iterfind(f"{NS}value"))
    return EntitySeries(entity, _interval(element), series)


def parse_perf(chunks: Iterable[bytes], limit: int = MAX_BYTES) -> Iterator[EntitySeries]:
    """Each entity of a QueryPerf answer, read chunk by chunk; raise past ``limit`` bytes."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("end",))
    seen = 0
    for chunk in chunks:
        seen += len(chunk)
        if seen > limit:
            raise AnswerTooLarge(f"QueryPerf answer over {limit // (1 << 20)} MB")
        parser.feed(chunk)
        events = cast(Iterator[tuple[str, Any]], parser.read_events())
        for _, element in events:
            if isinstance(element, ET.Element) and element.tag == RETURNVAL:
                found = _entity(element)
                element.clear()
                if found is not None:
                    yield found
    parser.close()


def _chunks(response: http.client.HTTPResponse) -> Iterator[bytes]:
    while True:
        chunk = response.read(CHUNK)
        if not chunk:
            return
        yield chunk


def query_perf(stub: Any, manager: Any, specs: list[Any]) -> list[EntitySeries]:
    """PerformanceManager.QueryPerf(specs) over ``stub``'s session, read as a stream."""
    from pyVmomi import vim

    info = vim.PerformanceManager._GetMethodInfo("QueryStats")  # QueryPerf on the wire
    request = stub.SerializeRequest(manager, info, [specs])
    headers = {"Cookie": stub.cookie, "SOAPAction": stub.versionId,
               "Content-Type": "text/xml; charset=UTF-8"}
    conn = stub.GetConnection()
    try:
        conn.request("POST", stub.path, request, headers)
        response = conn.getresponse()
        encoding = (response.getheader("Content-Encoding") or "identity").lower()
        if response.status == 200 and encoding == "identity":
            found = list(parse_perf(_chunks(response)))
        elif response.status == 500:
            _raise_fault(stub, info, response.read(MAX_FAULT_BYTES))
        else:
            raise http.client.HTTPException(f"{response.status} {response.reason}"[:120])
    except BaseException:
        conn.close()
        stub.DropConnections()
        raise
    stub.ReturnConnection(conn)
    return found


def _raise_fault(stub: Any, info: Any, body: bytes) -> None:
    """Raise the fault a HTTP 500 answer carries, as pyVmomi itself would."""
    from pyVmomi.SoapAdapter import SoapResponseDeserializer

    fault = SoapResponseDeserializer(stub).Deserialize(io.BytesIO(body), info.result)
    if isinstance(fault, BaseException):
        raise fault
    raise http.client.HTTPException("500 without a SOAP fault")
