"""Collector for logging: syslog daemon, journald storage, and forwarding to a remote host."""

from __future__ import annotations

import re
from typing import Any

from auditor.collect.collectors.common import MAX_ITEMS, blocks, every, first, name, processes_named
from auditor.collect.collectors.common import text as clean
from auditor.collect.collectors.interface import Collector, ParseError

DAEMONS = ("rsyslogd", "syslog-ng", "syslogd", "systemd-journal", "systemd-journa", "filebeat",
           "fluent-bit", "fluentd", "td-agent-bit", "nxlog", "splunkd", "wazuh-logcollec",
           "ossec-logcollec", "elastic-agent", "promtail", "vector")
"""Process names of log daemons and forwarding agents (comm is cut at 15 characters)."""

SCRIPT = """\
echo "@daemons"
""" + processes_named(DAEMONS) + """
[ -d /var/log/journal ] && echo "@persistent"
files=
for f in /etc/rsyslog.conf /etc/rsyslog.d/*.conf /etc/syslog-ng/syslog-ng.conf \\
    /etc/syslog-ng/conf.d/*.conf /etc/syslog.conf /etc/systemd/journald.conf \\
    /etc/systemd/journald.conf.d/*.conf /etc/systemd/journal-upload.conf /etc/conf.d/syslog; do
  [ -f "$f" ] || continue
  if [ -r "$f" ]; then files="$files $f"; else echo "@unreadable $f"; fi
done
echo "@config"
[ -n "$files" ] && grep -H -i -m 100 -E -e '@|omfwd|omrelp|target|port|protocol' \\
  -e 'network *\\(|tcp6? *\\(|udp6? *\\(|syslog *\\(' \\
  -e '^ *(Storage|ForwardToSyslog|URL|SYSLOGD_OPTS) *=' $files 2>/dev/null
true"""

_TAGS = frozenset({"daemons", "persistent", "config", "unreadable"})
SYSLOG = {"rsyslogd": "rsyslog", "syslog-ng": "syslog-ng", "syslogd": "syslogd"}
AGENTS = {"filebeat": "filebeat", "fluent-bit": "fluent-bit", "fluentd": "fluentd",
          "td-agent-bit": "fluent-bit", "nxlog": "nxlog", "splunkd": "splunk",
          "wazuh-logcollec": "wazuh", "ossec-logcollec": "ossec", "elastic-agent": "elastic-agent",
          "promtail": "promtail", "vector": "vector"}
_HOST = r"\[?([A-Za-z0-9][A-Za-z0-9_.:-]{0,252}?)\]?"
_LEGACY = re.compile(r"^\S+\s+(@@?)(?:\([^)]{0,20}\))?" + _HOST + r"(?::(\d{1,5}))?(?:;\S*)?$")
_RELP = re.compile(r"^\S+\s+:omrelp:" + _HOST + r":(\d{1,5})")
_ACTION = re.compile(r'type\s*=\s*"(omfwd|omrelp)"', re.I)
_ATTR = re.compile(r'\b(target|port|protocol)\s*=\s*"([^"]{1,253})"', re.I)
_SYSLOG_NG = re.compile(r'\b(network|tcp6?|udp6?|syslog)\s*\(\s*"([^"]{1,253})"'
                        r'(?:[^;]{0,200}?port\s*\(\s*(\d{1,5})\s*\))?', re.I)
_JOURNAL_UPLOAD = re.compile(r"^URL\s*=\s*(\S{1,300})", re.I)
_BUSYBOX_REMOTE = re.compile(r"-R\s*" + _HOST + r"(?::(\d{1,5}))?(?=[\s\"']|$)")


def _action_target(action: dict[str, str] | None) -> list[dict[str, Any]]:
    """The destination of a finished rsyslog ``action(...)``, if it named a target."""
    if action is None or "target" not in action:
        return []
    default = "relp" if action["type"] == "omrelp" else "udp"
    port = action.get("port", "514")
    return [{"host": action["target"], "port": int(port) if port.isdigit() else 514,
             "protocol": action.get("protocol", default).lower()[:10]}]


def _rsyslog_action(row: str, pending: dict[str, str] | None
                    ) -> tuple[dict[str, str] | None, list[dict[str, Any]]]:
    """Feed one line to the open rsyslog ``action(...)``: the action still open, and any closed."""
    closed: list[dict[str, Any]] = []
    if action := _ACTION.search(row):
        closed += _action_target(pending)
        pending = {"type": action.group(1).lower()}
    if pending is not None:
        pending.update({k.lower(): v for k, v in _ATTR.findall(row)})
        if ")" in row:
            closed += _action_target(pending)
            pending = None
    return pending, closed


def _rsyslog_legacy(row: str) -> list[dict[str, Any]]:
    """A one-line rsyslog forward: ``*.* @host``, ``*.* @@host:port`` or ``:omrelp:host:port``."""
    if m := _LEGACY.match(row):
        proto = "tcp" if m.group(1) == "@@" else "udp"
        return [{"host": m.group(2), "port": int(m.group(3) or 514), "protocol": proto}]
    if m := _RELP.match(row):
        return [{"host": m.group(1), "port": int(m.group(2)), "protocol": "relp"}]
    return []


def _other_daemons(path: str, row: str) -> list[dict[str, Any]]:
    """Destinations in syslog-ng, busybox syslogd and systemd-journal-upload configuration."""
    out: list[dict[str, Any]] = []
    if "syslog-ng" in path:
        for kind, host, port in _SYSLOG_NG.findall(row):
            if not host.startswith("/"):
                out.append({"host": host, "port": int(port or 514),
                            "protocol": "udp" if kind.lower().startswith("udp") else "tcp"})
    if path.endswith("conf.d/syslog") and row.startswith("SYSLOGD_OPTS"):
        for host, port in _BUSYBOX_REMOTE.findall(row):
            out.append({"host": host, "port": int(port or 514), "protocol": "udp"})
    if "journal-upload" in path and (m := _JOURNAL_UPLOAD.match(row)):
        out.append({"host": m.group(1), "port": None, "protocol": "https"})
    return out


def _targets(path: str, rows: tuple[str, ...]) -> list[dict[str, Any]]:
    """Remote log destinations named in one configuration file."""
    out: list[dict[str, Any]] = []
    pending: dict[str, str] | None = None
    for row in rows:
        row = row.strip()
        out += _rsyslog_legacy(row)
        pending, closed = _rsyslog_action(row, pending)
        out += closed
        out += _other_daemons(path, row)
    out += _action_target(pending)
    return [dict(t, host=clean(t["host"], 253), file=path[:200]) for t in out
            if name(t["host"].split("//")[-1].split("/")[0] or "-") and (
                t["port"] is None or 0 < t["port"] < 65536)]


def parse(text: str) -> dict[str, Any]:
    """The running log daemons, journald storage, and every remote target in the config."""
    found = blocks(text, _TAGS)
    daemons_block = first(found, "daemons")
    if daemons_block is None:
        raise ParseError("no daemon list")
    procs = {p.strip() for p in daemons_block.body}
    syslog = sorted({SYSLOG[p] for p in procs if p in SYSLOG})
    agents = sorted({AGENTS[p] for p in procs if p in AGENTS})
    facts: dict[str, Any] = {
        "syslog_daemons": syslog,
        "journald": bool(procs & {"systemd-journal", "systemd-journa"}),
        "agents": agents,
        "journal_persistent_dir": first(found, "persistent") is not None,
    }
    targets: list[dict[str, Any]] = []
    config = first(found, "config")
    files: dict[str, list[str]] = {}
    for row in config.body if config else ():
        path, sep, line = row.partition(":")
        if sep and path.startswith("/etc/") and not line.lstrip().startswith("#"):
            files.setdefault(path, []).append(line)
    for path, rows in files.items():
        if "journald.conf" in path:
            for row in rows:
                key, _, value = row.partition("=")
                if key.strip() == "Storage" and value.strip() in ("persistent", "volatile",
                                                                   "auto", "none"):
                    facts["journal_storage"] = value.strip()
        else:
            targets.extend(_targets(path, tuple(rows)))
    facts["targets"] = targets[:MAX_ITEMS]
    unreadable = sorted({b.arg[:200] for b in every(found, "unreadable")})[:MAX_ITEMS]
    facts["unreadable_files"] = unreadable
    if targets or agents:
        facts["forwarding"] = True
    elif unreadable:
        facts["unknown"] = {"forwarding": "no remote target in the readable configuration, but "
                            + ", ".join(unreadable[:5]) + " cannot be read"}
    else:
        facts["forwarding"] = False
    return facts


COLLECTOR = Collector("logging", "log daemons, journald and forwarding", SCRIPT, parse,
                      ("logging.syslog_daemons", "logging.journald", "logging.agents",
                       "logging.journal_persistent_dir", "logging.journal_storage",
                       "logging.targets", "logging.unreadable_files", "logging.forwarding",
                       "logging.unknown"))
