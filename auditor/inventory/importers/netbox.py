"""NetBox importer: sites, devices and virtual machines over its REST API (token never kept)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from auditor.bundle.jsonfile import JsonInputError, parse_json
from auditor.errors import InputError
from auditor.inventory.importers.builder import ADDRESS_PATTERN, InventoryBuilder
from auditor.inventory.importers.interface import (
    ImportOptions,
    ImportResult,
    NetBoxOptions,
)
from auditor.inventory.load import make_id

MAX_RESPONSE_BYTES = 64 * 1024 * 1024
ENDPOINTS = (("device", "api/dcim/devices/"), ("virtual machine",
                                               "api/virtualization/virtual-machines/"))


def _slug(value: Any) -> str | None:
    """The slug (or value) of a nested NetBox object such as ``status`` or ``site``."""
    if isinstance(value, dict):
        for key in ("slug", "value", "name"):
            if isinstance(value.get(key), str):
                return str(value[key])
        return None
    return value if isinstance(value, str) else None


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("name", "display", "label", "slug"):
            if isinstance(value.get(key), str):
                return str(value[key])
    return None


def _address(obj: dict[str, Any]) -> str | None:
    for key in ("primary_ip4", "primary_ip", "primary_ip6"):
        ip = obj.get(key)
        if isinstance(ip, dict) and isinstance(ip.get("address"), str):
            return str(ip["address"]).partition("/")[0]
    return None


class NetBoxClient:
    """A small read-only NetBox API client: token header, pagination, timeouts, TLS."""

    def __init__(self, base_url: str, token: str, options: NetBoxOptions) -> None:
        """Prepare a session; nothing is sent yet."""
        parts = urlsplit(base_url)
        if parts.username is not None or parts.password is not None:
            raise InputError("the NetBox address must not hold a user name or password; NetBox "
                             "is reached with the token only")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError("the NetBox address must look like https://netbox.example.go.id/")
        path = parts.path.rstrip("/")
        path = path[:-4] if path.endswith("/api") else path
        self.base = urlunsplit((parts.scheme, parts.netloc, path + "/", "", ""))
        self.origin = (parts.scheme, parts.netloc)
        self.options = options
        import requests  # here, not at the top: only this importer needs it (0.15 s to load)

        self.session = requests.Session()
        self.session.trust_env = False
        scheme = "Bearer" if token.startswith("nbt_") else "Token"
        self.session.headers.update({"Authorization": f"{scheme} {token}",
                                     "Accept": "application/json"})
        if options.insecure:
            self.session.verify = False
        elif options.ca_bundle:
            if not Path(options.ca_bundle).is_file():
                raise InputError(f"{options.ca_bundle}: CA bundle file not found")
            self.session.verify = options.ca_bundle

    def close(self) -> None:
        """Release the connections."""
        self.session.close()

    def _get(self, url: str, params: list[tuple[str, str]] | None) -> dict[str, Any]:
        import requests  # loaded by __init__ already

        shown = url.split("?")[0]
        try:
            response = self.session.get(url, params=params, stream=True, allow_redirects=False,
                                        timeout=(self.options.timeout, self.options.timeout))
        except requests.exceptions.SSLError:
            raise InputError(f"{shown}: TLS certificate not trusted; pass the CA file with "
                             "--netbox-ca-bundle (or --insecure to skip the check)") from None
        except requests.exceptions.Timeout:
            raise InputError(f"{shown}: no answer within {self.options.timeout:g} s "
                             "(raise --timeout or check the address)") from None
        except requests.exceptions.RequestException as exc:
            raise InputError(f"{shown}: cannot reach NetBox ({type(exc).__name__})") from None
        try:
            if response.status_code in (401, 403):
                raise InputError(f"{shown}: NetBox refused the token (HTTP "
                                 f"{response.status_code}); check the token and its permissions")
            if response.status_code != 200:
                raise InputError(f"{shown}: NetBox answered HTTP {response.status_code}")
            body = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
        except requests.exceptions.RequestException as exc:
            raise InputError(f"{shown}: reading the answer failed ({type(exc).__name__})") \
                from None
        except OSError:
            raise InputError(f"{shown}: no complete answer within {self.options.timeout:g} s") \
                from None
        finally:
            response.close()
        if len(body) > MAX_RESPONSE_BYTES:
            raise InputError(f"{shown}: answer larger than {MAX_RESPONSE_BYTES} bytes")
        try:
            data = parse_json(body, shown)
        except JsonInputError as exc:
            raise InputError(f"{shown}: the answer is {exc.what}; is this a NetBox API "
                             "address?") from None
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise InputError(f"{shown}: not a NetBox list answer (no 'results')")
        return data

    def list(self, endpoint: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """Every object of a list endpoint, following ``next`` on the same server only."""
        url: str | None = self.base + endpoint
        query: list[tuple[str, str]] | None = [*params, ("limit", str(self.options.page_size))]
        out: list[dict[str, Any]] = []
        for _ in range(self.options.max_pages):
            if url is None:
                return out
            data = self._get(url, query)
            out.extend(item for item in data["results"] if isinstance(item, dict))
            url, query = self._next(data.get("next")), None
        if url is not None:
            raise InputError(f"{self.base}{endpoint}: more than {self.options.max_pages} pages")
        return out

    def _next(self, link: Any) -> str | None:
        if not isinstance(link, str) or not link:
            return None
        parts = urlsplit(link)
        if parts.netloc != self.origin[1]:
            raise InputError(f"NetBox's next-page link points to another server "
                             f"({parts.netloc}); refused so the token is not sent there")
        return urlunsplit((self.origin[0], *parts[1:]))


class NetBoxImporter:
    """Reads sites, dcim devices and virtual machines from NetBox's REST API."""

    name = "netbox"
    description = "a NetBox server's REST API (SRC is its URL; token from $NETBOX_TOKEN)"

    def read(self, source: str, options: ImportOptions) -> ImportResult:
        """Fetch and map; only objects with an allowed status, inside the filters."""
        nb = options.netbox
        token = options.env().get(nb.token_env, "").strip()
        if not token:
            raise InputError(f"no NetBox token: put it in the environment variable "
                             f"{nb.token_env} (or name another with --netbox-token-env)")
        build = InventoryBuilder(options)
        if nb.insecure:
            build.warn("TLS verification is off (--insecure): the token could be read by "
                       "anyone who can intercept this connection")
        if urlsplit(source).scheme == "http":
            build.warn("NetBox is reached over plain http: the token crosses the network "
                       "unencrypted")
        client = NetBoxClient(source, token, nb)
        try:
            filters = [("site", s) for s in nb.sites] + [("tag", t) for t in nb.tags]
            sites = {_slug(s): s for s in client.list("api/dcim/sites/",
                                                      [("slug", s) for s in nb.sites])}
            for kind, endpoint in ENDPOINTS:
                if (kind == "device" and not nb.devices) or \
                        (kind == "virtual machine" and not nb.virtual_machines):
                    continue
                for obj in client.list(endpoint, filters):
                    self._object(build, nb, kind, obj, sites)
        finally:
            client.close()
        return build.result()

    @staticmethod
    def _object(build: InventoryBuilder, nb: NetBoxOptions, kind: str, obj: dict[str, Any],
                sites: dict[str | None, dict[str, Any]]) -> None:
        name = obj.get("name")
        label = f"{kind} {name!r}" if name else f"{kind} id {obj.get('id')}"
        if not isinstance(name, str) or not name.strip():
            build.skip(label, "it has no name in NetBox")
            return
        status = _slug(obj.get("status")) or "unknown"
        if status not in nb.statuses:
            build.skip(label, f"status is '{status}' (imported: {', '.join(nb.statuses)})")
            return
        site_slug = _slug(obj.get("site"))
        if nb.sites and site_slug not in nb.sites:
            build.skip(label, f"site '{site_slug}' is outside --netbox-site")
            return
        tags = {_slug(t) for t in obj.get("tags") or []}
        if nb.tags and not tags & set(nb.tags):
            build.skip(label, "it has none of the tags asked for")
            return
        address = _address(obj)
        if address is None or not ADDRESS_PATTERN.fullmatch(address):
            build.skip(label, "it has no primary IP in NetBox; set one, or add the host by hand")
            return
        host_id = build.host_id(name)
        if host_id is None:
            return
        if site_slug is None:
            site = build.default_site()
            build.warn(f"{label} has no site in NetBox; placed in '{site}'")
        else:
            site_obj = sites.get(site_slug) or obj.get("site") or {}
            site = build.site(make_id(site_slug) or build.default_site(),
                              _name(site_obj) or site_slug,
                              address=(site_obj.get("physical_address") or None)
                              if isinstance(site_obj, dict) else None)
        host: dict[str, Any] = {"site": site, "address": address}
        role = _slug(obj.get("role")) or _slug(obj.get("device_role"))
        if role:
            host["role"] = role[:64]
        platform = _name(obj.get("platform"))
        notes = f"NetBox {kind} {obj.get('id')}" + (f", platform {platform}" if platform else "")
        host["notes"] = notes[:2000]
        build.add_host(host_id, name, host)
