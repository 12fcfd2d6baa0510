"""`eventkg serve`: a SPARQL 1.1 Protocol endpoint over an Oxigraph store, on loopback.

The server is Oxigraph's own (the `oxigraph` package on PyPI ships its `oxigraph` binary, the
same engine and storage format as pyoxigraph): `/query` answers GET `?query=` and POST
(`application/sparql-query` or form-encoded) with SPARQL results as JSON, XML, CSV or TSV by
content negotiation, `/update` takes SPARQL Update, and `/` is its YASGUI query page (bundled,
works offline). We only choose how it runs:

* bound to 127.0.0.1, never to another interface;
* `serve-read-only` unless updates are explicitly allowed (`/update` then answers 403);
* the union of all named graphs as the default graph, like `eventkg query`, so the canned
  queries give the same rows over HTTP as on the command line;
* a query timeout in whole seconds.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

HOST = "127.0.0.1"
DEFAULT_PORT = 7878
DEFAULT_TIMEOUT_S = 30


class ServeError(RuntimeError):
    """The server cannot be found, started or reached; the message says which and why."""


def oxigraph_server() -> str:
    """Path of the `oxigraph` server binary: beside this Python (its venv), else on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file():
        return str(beside)
    found = shutil.which("oxigraph")
    if found:
        return found
    raise ServeError("the Oxigraph server is not installed: pip install oxigraph")


def check_store(path: Path) -> None:
    """Raise ServeError unless `path` is a folder holding an Oxigraph store (as `eventkg build --store` makes)."""
    path = Path(path)
    if not path.is_dir():
        raise ServeError(f"{path}: no such store folder (build one with: eventkg build ... --store {path})")
    if not (path / "CURRENT").is_file():
        raise ServeError(f"{path}: not an Oxigraph store (no CURRENT file)")


def server_command(store: Path, port: int = DEFAULT_PORT, timeout_s: int = DEFAULT_TIMEOUT_S,
                   allow_update: bool = False, server: str | None = None) -> list[str]:
    """The `oxigraph` command line that serves `store` on 127.0.0.1:`port`."""
    if timeout_s < 1:
        raise ServeError(f"--timeout {timeout_s}: must be at least 1 second")
    return [server or oxigraph_server(), "serve" if allow_update else "serve-read-only",
            "--location", str(store), "--bind", f"{HOST}:{port}",
            "--union-default-graph", "--timeout-s", str(int(timeout_s))]


@dataclass
class Server:
    """A running server process and where it answers."""

    process: subprocess.Popen
    port: int
    allow_update: bool = False
    log: Path | None = field(default=None)   # where its stderr goes, when not inherited

    @property
    def url(self) -> str:
        """The query page."""
        return f"http://{HOST}:{self.port}/"

    @property
    def query_url(self) -> str:
        return f"http://{HOST}:{self.port}/query"

    @property
    def update_url(self) -> str:
        return f"http://{HOST}:{self.port}/update"

    def _exited(self) -> ServeError:
        detail = ""
        if self.log is not None and self.log.is_file():
            lines = [ln for ln in self.log.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
            detail = ": " + " ".join(lines[:2]) if lines else ""
        return ServeError(f"the Oxigraph server exited with status {self.process.returncode}{detail}")

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until the query page answers; raise ServeError if the server exits or never answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self._exited()
            try:
                with urllib.request.urlopen(self.url, timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise ServeError(f"the Oxigraph server did not answer on {self.url} within {timeout:.0f} s")

    def stop(self, grace: float = 5.0) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after `grace` seconds)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_server(store: Path, port: int = DEFAULT_PORT, timeout_s: int = DEFAULT_TIMEOUT_S,
                 allow_update: bool = False, log: Path | None = None, stderr: IO | None = None) -> Server:
    """Start serving `store` (not waiting for it: call `wait_ready`). Its stderr goes to `log` if given."""
    check_store(store)
    command = server_command(store, port, timeout_s, allow_update)
    err_out = open(log, "wb") if log is not None else stderr  # noqa: SIM115 — the child keeps it open
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err_out)
    except OSError as exc:
        raise ServeError(f"cannot start {command[0]}: {exc}") from None
    finally:
        if log is not None:
            err_out.close()
    return Server(process, port, allow_update, log)
