"""govmomi's vSphere API simulator (vcsim) for the tests: built from Debian's source package.

The Go ``main`` in tests/vcsim/main.go wraps ``simulator.VPX()``; it is built offline in
GOPATH mode against /usr/share/gocode (golang-go + golang-github-vmware-govmomi-dev, which
scripts/test installs), cached under ~/.cache by the hash of its source, and started on a
free loopback port per test session; stopped by pid.
"""

from __future__ import annotations

import hashlib
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "vcsim" / "main.go"
GOCODE = Path("/usr/share/gocode")
SIMULATOR = GOCODE / "src/github.com/vmware/govmomi/simulator"


def vcsim_missing() -> str | None:
    """Why the simulator cannot be built here, or None."""
    if shutil.which("go") is None:
        return "go is not installed (apt-get install golang-go)"
    if not SIMULATOR.is_dir():
        return "govmomi source missing (apt-get install golang-github-vmware-govmomi-dev)"
    return None


def _key() -> str:
    digest = hashlib.sha256(SOURCE.read_bytes())
    version = subprocess.run(["go", "version"], capture_output=True, text=True, check=False)
    digest.update(version.stdout.encode())
    for path in sorted(SIMULATOR.glob("*.go")):
        digest.update(f"{path.name}:{path.stat().st_size}".encode())
    return digest.hexdigest()[:16]


def build() -> Path:
    """The simulator binary, built once per source hash (about 15 s to 2 min on first use)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "auditor-tests"
    binary = cache / f"vcsim-{_key()}"
    if binary.is_file():
        return binary
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(SOURCE, Path(tmp) / "main.go")
        env = dict(os.environ, GOPATH=str(GOCODE), GO111MODULE="off", GOFLAGS="",
                   GOCACHE=str(cache / "gocache"), CGO_ENABLED="0")
        subprocess.run(["go", "build", "-o", str(Path(tmp) / "vcsim"), "."], cwd=tmp, env=env,
                       check=True, capture_output=True, timeout=900)
        os.replace(Path(tmp) / "vcsim", binary)
    return binary


class Vcsim:
    """One running simulator: its SDK URL and process."""

    def __init__(self, binary: Path, *args: str) -> None:
        self.proc = subprocess.Popen([str(binary), *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline and not line:
            ready, _, _ = select.select([self.proc.stdout], [], [], 1.0)
            if ready and self.proc.stdout is not None:
                line = self.proc.stdout.readline().strip()
            if self.proc.poll() is not None:
                break
        if not line.startswith("http"):
            self.stop()
            raise RuntimeError(f"vcsim did not start (printed {line!r})")
        self.url = line

    @property
    def port(self) -> int:
        """The TCP port it listens on."""
        return int(self.url.split(":")[2].split("/")[0])

    def stop(self) -> None:
        """Stop it by pid."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@contextmanager
def vcsim(binary: Path, *args: str) -> Iterator[Vcsim]:
    """A simulator for the ``with`` block."""
    sim = Vcsim(binary, *args)
    try:
        yield sim
    finally:
        sim.stop()
