"""Collector for backup evidence: backup tools and agents, and cron jobs or timers that back up."""

from __future__ import annotations

import re
from typing import Any

from auditor.collect.collectors.common import blocks, first, name
from auditor.collect.collectors.interface import Collector, ParseError

TOOLS = ("bacula-fd", "bareos-fd", "veeamconfig", "veeamservice", "restic", "borg", "borgmatic",
         "rsnapshot", "duplicity", "duplicati-cli", "burp", "urbackupclientctl",
         "proxmox-backup-client", "kopia", "bup", "pgbackrest", "barman", "mariabackup",
         "xtrabackup", "amandad", "rdiff-backup", "dsmc")
KEYWORDS = ("backup", "mysqldump", "mariadb-dump", "pg_dump", "pg_dumpall", "pg_basebackup",
            "mongodump", "restic", "borg", "rsnapshot", "duplicity", "bacula", "bareos", "veeam",
            "rdiff-backup", "barman", "pgbackrest", "xtrabackup", "mariabackup", "rsync")
_WORDS = "|".join(KEYWORDS)
_STRONG = "mysqldump|mariadb-dump|pg_dump|pg_basebackup|mongodump|restic|borg|rsnapshot|duplicity"

SCRIPT = f"""\
echo "@tools"; for t in {' '.join(TOOLS)}; do command -v $t >/dev/null 2>&1 && echo $t; done
echo "@cron"
grep -H -i -m 20 -E '{_WORDS}' /etc/crontab /etc/cron.d/* /etc/anacrontab \\
  /var/spool/cron/* /var/spool/cron/crontabs/* /etc/crontabs/* 2>/dev/null
echo "@own"; crontab -l 2>/dev/null | grep -i -m 20 -E '{_WORDS}'
echo "@scripts"
for f in /etc/cron.hourly/* /etc/cron.daily/* /etc/cron.weekly/* /etc/cron.monthly/*; do
  case "$f" in *backup*|*dump*) echo "$f" ;; esac
done
grep -l -E '{_STRONG}' \\
  /etc/cron.hourly/* /etc/cron.daily/* /etc/cron.weekly/* /etc/cron.monthly/* 2>/dev/null
echo "@timers"
for f in /etc/systemd/system/*.timer /etc/systemd/system/timers.target.wants/*.timer; do
  case "$f" in
    *backup*|*dump*|*restic*|*borg*|*rsnapshot*|*duplicity*|*barman*) echo "${{f##*/}}" ;;
  esac
done
echo "@spool"
for d in /var/spool/cron/crontabs /var/spool/cron /etc/crontabs; do
  [ -d $d ] || continue
  if [ -r $d ] && [ -x $d ]; then
    for f in $d/*; do [ -f "$f" ] && [ ! -r "$f" ] && echo "$f unreadable"; done
    echo "$d readable"
  else
    echo "$d unreadable"
  fi
done"""

DISTRO_TIMERS = {"dpkg-db-backup.timer"}
"""Timers a distribution ships that back up its own package database, not the host's data."""

_TAGS = frozenset({"tools", "cron", "own", "scripts", "timers", "spool"})
_KEYWORD = re.compile("|".join(re.escape(k) for k in KEYWORDS), re.I)
_SCHEDULE = re.compile(r"^\s*((?:@\w+)|(?:[\d*/,-]+\s+){4}[\w*/,-]+)\s")


def _job(file: str, line: str) -> dict[str, Any]:
    """A cron line described by its file, schedule and keywords: never its command (secrets)."""
    schedule = _SCHEDULE.match(line)
    return {"file": file[:200],
            "schedule": " ".join(schedule.group(1).split()) if schedule else None,
            "keywords": sorted({k.lower() for k in _KEYWORD.findall(line)})}


def parse(text: str) -> dict[str, Any]:
    """Tools, agents, jobs and timers that point to backups; where user crontabs were unreadable."""
    found = blocks(text, _TAGS)
    if first(found, "tools") is None or first(found, "spool") is None:
        raise ParseError("backup section incomplete")

    def body(tag: str) -> tuple[str, ...]:
        block = first(found, tag)
        return block.body if block else ()

    tools = sorted({t.strip() for t in body("tools")} & set(TOOLS))
    jobs: list[dict[str, Any]] = []
    for row in body("cron"):
        file, sep, line = row.partition(":")
        if sep and file.startswith("/") and not line.lstrip().startswith("#") \
                and _KEYWORD.search(line):
            jobs.append(_job(file, line))
    jobs += [_job("crontab -l", row) for row in body("own")
             if _KEYWORD.search(row) and not row.lstrip().startswith("#")]
    scripts = sorted({s.strip()[:200] for s in body("scripts") if s.startswith("/etc/cron.")})
    timers = sorted({t.strip() for t in body("timers") if name(t.strip())} - DISTRO_TIMERS)
    facts: dict[str, Any] = {
        "tools": tools, "cron_jobs": jobs[:50],
        "cron_scripts": scripts[:50], "timers": timers[:50],
        "evidence": bool(tools or jobs or scripts or timers),
    }
    unreadable = [r.split()[0] for r in body("spool") if r.endswith(" unreadable")]
    if unreadable:
        facts["unknown"] = {"user_crontabs": f"{unreadable[0][:100]} is readable only by root, "
                            "so other users' crontabs were not seen"}
    return facts


COLLECTOR = Collector("backup", "backup tools, agents, cron jobs and timers", SCRIPT, parse,
                      ("backup.tools", "backup.cron_jobs", "backup.cron_scripts",
                       "backup.timers", "backup.evidence", "backup.unknown"))
