"""Collector for installed web and database servers, their versions and whether they run."""

from __future__ import annotations

import re
from typing import Any

from auditor.collect.collectors.common import (
    TIMEOUT,
    Block,
    blocks,
    every,
    first,
    processes_named,
)
from auditor.collect.collectors.interface import Collector, ParseError

RUNNING = ("nginx", "apache2", "httpd", "lighttpd", "haproxy", "caddy", "mysqld", "mariadbd",
           "postgres", "postmaster", "php-fpm*", "redis-server", "mongod", "java")
"""Process names (sh patterns) of the servers looked for."""

SCRIPT = TIMEOUT + """
echo "@running"
""" + processes_named(RUNNING) + """
# Busybox has an httpd applet whose -v means "verbose" and starts a web server: never run it.
v() {
  case "$(readlink -f "$(command -v "$2")" 2>/dev/null)" in *busybox*) return 0 ;; esac
  echo "@version $1"; shift; $T "$@" 2>&1 | head -n 3
}
command -v nginx >/dev/null 2>&1 && v nginx nginx -v
command -v apache2 >/dev/null 2>&1 && v apache apache2 -v
command -v httpd >/dev/null 2>&1 && v httpd httpd -v
command -v lighttpd >/dev/null 2>&1 && v lighttpd lighttpd -v
command -v haproxy >/dev/null 2>&1 && v haproxy haproxy -v
command -v caddy >/dev/null 2>&1 && v caddy caddy version
if command -v mariadbd >/dev/null 2>&1; then v mysql mariadbd --version
elif command -v mysqld >/dev/null 2>&1; then v mysql mysqld --version; fi
for b in /usr/lib/postgresql/*/bin/postgres /usr/pgsql-*/bin/postgres /usr/bin/postgres; do
  [ -x "$b" ] && v postgresql "$b" --version
done
command -v php >/dev/null 2>&1 && v php php -v
command -v redis-server >/dev/null 2>&1 && v redis redis-server --version
command -v mongod >/dev/null 2>&1 && v mongodb mongod --version
for d in /usr/share/tomcat* /opt/tomcat* /opt/apache-tomcat* /usr/local/tomcat* /var/lib/tomcat*; do
  [ -d "$d" ] || continue
  echo "@tomcat $d"; grep -m1 -h 'Apache Tomcat Version' "$d/RELEASE-NOTES" 2>/dev/null
done
true"""

_TAGS = frozenset({"running", "version", "tomcat"})
_VERSION = {
    "nginx": re.compile(r"nginx/(\d[\w.]{0,30})"),
    "apache": re.compile(r"Apache/(\d[\w.]{0,30})"),
    "lighttpd": re.compile(r"lighttpd/(\d[\w.]{0,30})"),
    "haproxy": re.compile(r"HA-?Proxy version (\d[\w.]{0,30})", re.I),
    "caddy": re.compile(r"^v?(\d+\.\d[\w.]{0,30})"),
    "mysql": re.compile(r"\bVer (\d[\w.]{0,30}?)(-MariaDB|[-\s])"),
    "postgresql": re.compile(r"\(PostgreSQL\) (\d[\w.]{0,30})"),
    "php": re.compile(r"^PHP (\d[\w.]{0,30})"),
    "redis": re.compile(r"\bv=(\d[\w.]{0,30})"),
    "mongodb": re.compile(r"db version v(\d[\w.]{0,30})"),
    "tomcat": re.compile(r"Apache Tomcat Version (\d[\w.]{0,30})"),
}
PROCESSES = {"nginx": "nginx", "apache2": "apache", "httpd": "apache", "lighttpd": "lighttpd",
             "haproxy": "haproxy", "caddy": "caddy", "mysqld": "mysql", "mariadbd": "mariadb",
             "postgres": "postgresql", "postmaster": "postgresql", "redis-server": "redis",
             "mongod": "mongodb"}
WEB = {"nginx", "apache", "lighttpd", "haproxy", "caddy", "tomcat", "php"}
DATABASE = {"mysql", "mariadb", "postgresql", "redis", "mongodb"}


def _running(body: tuple[str, ...]) -> set[str]:
    """The products whose server process runs, from the process names listed."""
    running: set[str] = set()
    for proc in body:
        proc = proc.strip()
        if proc in PROCESSES:
            running.add(PROCESSES[proc])
        elif proc.startswith("php-fpm"):
            running.add("php")
    return running


def _found_version(block: Block) -> tuple[str, str | None] | None:
    """The product one version block is about and the version it printed, if any.

    None when the block is about no known product, or is an ``httpd`` that did not say
    it is Apache (busybox has an httpd too).
    """
    product = "tomcat" if block.tag == "tomcat" else block.arg
    httpd = product == "httpd"
    product = "apache" if httpd else product
    if product not in _VERSION:
        return None
    version: str | None = None
    for row in block.body:
        if m := _VERSION[product].search(row):
            version = m.group(1).rstrip(".")
            if product == "mysql" and m.group(2) == "-MariaDB":
                product = "mariadb"
            break
    if product == "tomcat" and version is None and (m := re.search(r"tomcat-?(\d+)",
                                                                    block.arg)):
        version = m.group(1)
    if httpd and version is None:
        return None
    return product, version


def parse(text: str) -> dict[str, Any]:
    """Each server found: version (None when not printed) and whether a process of it runs."""
    found = blocks(text, _TAGS)
    running_block = first(found, "running")
    if running_block is None:
        raise ParseError("no process list")
    running = _running(running_block.body)
    servers: dict[str, dict[str, Any]] = {}
    for block in every(found, "version") + every(found, "tomcat"):
        if (product_version := _found_version(block)) is None:
            continue
        product, version = product_version
        entry = servers.setdefault(product, {"versions": []})
        if version and version not in entry["versions"]:
            entry["versions"].append(version)
    if "mariadb" in servers and "mysql" in running and "mysql" not in servers:
        running = (running - {"mysql"}) | {"mariadb"}  # MariaDB's server process is mysqld
    for product in running - servers.keys():
        servers[product] = {"versions": []}
    for product, entry in servers.items():
        entry["version"] = entry["versions"][0] if entry["versions"] else None
        entry["running"] = product in running
    return {
        "servers": dict(sorted(servers.items())),
        "web": sorted(servers.keys() & WEB),
        "database": sorted(servers.keys() & DATABASE),
        "running": sorted(running),
    }


COLLECTOR = Collector("servers", "web and database servers and versions", SCRIPT, parse,
                      ("servers.servers", "servers.web", "servers.database", "servers.running"))
