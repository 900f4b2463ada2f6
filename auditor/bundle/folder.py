"""The audit bundle folder: its paths, and files written whole or not at all."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.bundle.jsonfile import read_json_file
from auditor.errors import FileSystemError, InputError

LOCK_NAME = ".auditor.lock"
"""The writer lock in a bundle folder: held by the one command writing it (not signed)."""


def utc_now() -> str:
    """Current UTC time as ISO 8601 with a Z, as every bundle file records it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file beside ``path``, fsync it, then rename over ``path``."""
    atomic_write_parts(path, [data])


def cannot(action: str, path: Path | str, exc: OSError) -> FileSystemError:
    """The one-line error for a file-system fault: what, where and the system's reason."""
    reason = exc.strerror or type(exc).__name__
    hints = {errno.ENOSPC: "free some space or write elsewhere",
             errno.EDQUOT: "free some space or write elsewhere",
             errno.EROFS: "choose a writable folder",
             errno.EACCES: "check the folder's permissions or choose another",
             errno.EPERM: "check the folder's permissions or choose another"}
    hint = hints.get(exc.errno or 0)
    return FileSystemError(f"cannot {action} {path}: {reason}" + (f" ({hint})" if hint else ""))


def make_folder(path: Path) -> None:
    """Create a folder (and its parents); FileSystemError names it when the system refuses."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise FileSystemError(f"cannot create folder {path}: a file of that name is in the "
                              "way") from None
    except OSError as exc:
        raise cannot("create folder", path, exc) from None


def atomic_write_parts(path: Path, parts: Iterable[bytes]) -> None:
    """Write the ``parts`` one after the other, as ``atomic_write_bytes`` writes one.

    A file-system fault (full disk, read-only folder, permission) leaves no temp file and
    raises FileSystemError naming ``path``.
    """
    make_folder(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise cannot("write", path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.writelines(parts)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise cannot("write", path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, data: Any, *, compact: bool = False) -> None:
    """Write JSON (UTF-8) atomically; indented for people, or compact for large documents.

    The compact form uses the C encoder, several times faster than the indented one, and
    writes non-ASCII text as \\u escapes.
    """
    if compact:  # ASCII escapes: the C encoder's fastest path
        text = json.dumps(data, separators=(",", ":"))
    else:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    atomic_write_text(path, text + "\n")


@dataclass(frozen=True)
class Bundle:
    """Paths inside an audit bundle folder, as DESIGN.md lays it out."""

    root: Path

    @property
    def inventory(self) -> Path:
        """Copy of the inventory as scanned."""
        return self.root / "inventory.yaml"

    @property
    def facts_dir(self) -> Path:
        """One JSON file per host."""
        return self.root / "facts"

    def facts(self, host_id: str) -> Path:
        """DIR/facts/HOST.json."""
        return self.facts_dir / f"{host_id}.json"

    @property
    def services_dir(self) -> Path:
        """One JSON file per web service."""
        return self.root / "services"

    def service(self, service_id: str) -> Path:
        """DIR/services/SERVICE.json."""
        return self.services_dir / f"{service_id}.json"

    @property
    def facility_dir(self) -> Path:
        """Questionnaire answers per site."""
        return self.root / "facility"

    def facility(self, site_id: str) -> Path:
        """DIR/facility/SITE.yaml."""
        return self.facility_dir / f"{site_id}.yaml"

    @property
    def results(self) -> Path:
        """DIR/results.json."""
        return self.root / "results.json"

    @property
    def manifest(self) -> Path:
        """DIR/manifest.json."""
        return self.root / "manifest.json"

    def require_scanned(self) -> None:
        """Raise InputError unless this folder holds a scanned bundle."""
        if not self.root.is_dir():
            raise InputError(f"{self.root}: no such folder; run 'auditor scan INVENTORY -o "
                             f"{self.root}' first")
        if not self.inventory.is_file():
            raise InputError(f"{self.root}: not an audit bundle (no inventory.yaml); run "
                             f"'auditor scan INVENTORY -o {self.root}' first")


class BundleBusy(InputError):
    """Another command is writing the same bundle folder."""


def _lock_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "a run that has just started"


@contextmanager
def bundle_lock(root: Path, command: str, *, create: bool = False) -> Iterator[None]:
    """Hold the bundle's writer lock while ``command`` writes ``root``.

    One command writes a bundle at a time: a second one is refused at once with BundleBusy,
    naming the run that holds it. The lock is the kernel's (flock), so a run that crashes
    or is killed releases it; its file is removed when the run ends normally. ``create``
    makes the folder (a scan's); otherwise a missing folder is left for the command to
    report in its own words.
    """
    if not create and not root.is_dir():
        yield
        return
    make_folder(root)
    path = root / LOCK_NAME
    for _ in range(10):  # the file may be replaced between open and flock: try again
        try:
            # never through a symlink a received bundle may hold: it would truncate its target
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
                         | os.O_NOCTTY | os.O_NONBLOCK, 0o644)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENXIO, errno.EISDIR):
                raise InputError(f"{path}: not a plain file (a symlink, folder or device): "
                                 "remove it; auditor keeps its lock there") from None
            raise cannot("create the lock file", path, exc) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise InputError(f"{path}: not a plain file (a pipe or device): remove it; auditor "
                             "keeps its lock there")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(fd)
            os.close(fd)
            raise BundleBusy(f"{root}: another auditor command is writing this bundle "
                             f"({holder}); wait for it to finish, or write to another "
                             "folder") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    else:
        raise BundleBusy(f"{root}: the bundle's lock keeps changing hands; try again")
    try:
        try:  # who holds it, for the message of a refused run; a full disk only loses that
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}, auditor {command}, since {utc_now()}\n"
                      .encode(), 0)
        except OSError:
            pass
        yield
    finally:
        Path(path).unlink(missing_ok=True)
        os.close(fd)


def read_json(path: Path) -> Any:
    """Read a JSON file we or a peer wrote; InputError names the file on any problem."""
    return read_json_file(path)


def sha256_file(path: Path) -> tuple[str, int]:
    """sha256 hex digest and size of a file, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            size += len(block)
            digest.update(block)
    return digest.hexdigest(), size
