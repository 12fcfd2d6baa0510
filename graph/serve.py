"""`eventkg serve`: a SPARQL 1.1 Protocol endpoint over an Oxigraph store, on loopback.

The engine is Oxigraph's own server (the `oxigraph` package on PyPI ships its `oxigraph` binary,
the same engine and storage format as pyoxigraph): `/query` answers GET `?query=` and POST
(`application/sparql-query` or form-encoded) with SPARQL results as JSON, XML, CSV or TSV by
content negotiation, `/update` takes SPARQL Update, `/sparql` takes both, and `/` is its YASGUI
query page (bundled, works offline). We choose how it runs:

* bound to 127.0.0.1, never to another interface;
* `serve-read-only` unless updates are explicitly allowed;
* the union of all named graphs as the default graph, like `eventkg query`, so the canned
  queries give the same rows over HTTP as on the command line;
* a query timeout in whole seconds;
* behind graph/sparql_proxy.py, which owns the public port and checks every query and update
  with graph/sparql_guard.py (the rules of `eventkg query`), because Oxigraph's server follows
  `SERVICE` to any address and has no switch to stop it. Oxigraph itself listens on a second
  loopback port that only the proxy uses.
"""
from __future__ import annotations

import collections
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .sparql_proxy import GuardingProxy

HOST = "127.0.0.1"
DEFAULT_PORT = 7878
DEFAULT_TIMEOUT_S = 30
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # loopback: never via $http_proxy
_BIND_RETRIES = 3   # another program may take Oxigraph's internal port between choosing and binding it


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
    """The `oxigraph` command line that serves `store` on 127.0.0.1:`port` (the proxy's internal port)."""
    if timeout_s < 1:
        raise ServeError(f"--timeout {timeout_s}: must be at least 1 second")
    return [server or oxigraph_server(), "serve" if allow_update else "serve-read-only",
            "--location", str(Path(store).absolute()), "--bind", f"{HOST}:{port}",
            "--union-default-graph", "--timeout-s", str(int(timeout_s))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class _Sink:
    """Where the server's messages go (a log file, a stream, or both nowhere), remembering the last few."""

    def __init__(self, log: Path | None, stream: IO | None):
        self.file = open(log, "a", encoding="utf-8") if log is not None else None  # noqa: SIM115 — closed in close()
        self.stream = stream
        self.recent: collections.deque[str] = collections.deque(maxlen=20)
        self.lock = threading.Lock()

    def write(self, line: str) -> None:
        line = line.rstrip("\n")
        with self.lock:
            self.recent.append(line)
            for out in (self.file, self.stream):
                if out is not None:
                    try:
                        out.write(line + "\n")
                        out.flush()
                    except (OSError, ValueError):   # a closed stream must not take the server down
                        pass

    def relay(self, pipe: IO[bytes]) -> None:
        """Copy Oxigraph's stderr, line by line, until it closes."""
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", "replace")
            # its own banner names the internal port, which nobody should use
            if not line.startswith("Listening for requests at"):
                self.write(line)
        pipe.close()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


@dataclass
class Server:
    """A running endpoint: the guarding proxy on `port`, Oxigraph's server behind it."""

    proxy: GuardingProxy
    command: list[str]                 # Oxigraph's command line, its internal port after --bind
    sink: _Sink
    allow_update: bool = False
    process: subprocess.Popen | None = None
    _relay: threading.Thread | None = field(default=None, repr=False)   # copies Oxigraph's stderr

    @property
    def port(self) -> int:
        """The public port (the proxy's)."""
        return self.proxy.server_address[1]

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

    def _launch(self) -> None:
        """Start Oxigraph on the internal port and the thread that copies its stderr."""
        try:
            # an error's message, not a Rust stack trace
            env = {**os.environ, "RUST_BACKTRACE": "0", "RUST_LIB_BACKTRACE": "0"}
            self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.PIPE, env=env)
        except OSError as exc:
            raise ServeError(f"cannot start {self.command[0]}: {exc}") from None
        self._relay = threading.Thread(target=self.sink.relay, args=(self.process.stderr,), name="oxigraph-stderr",
                                       daemon=True)
        self._relay.start()

    def _relaunch_elsewhere(self) -> None:
        """Oxigraph could not bind its internal port (taken meanwhile): try another one."""
        port = _free_port()
        at = self.command.index("--bind") + 1
        self.command[at] = f"{HOST}:{port}"
        self.proxy.upstream = (HOST, port)
        self._launch()

    def _exited(self) -> ServeError:
        if self._relay is not None:   # its last words are in the pipe: read them before quoting them
            self._relay.join(5)
        lines = [ln for ln in self.sink.recent if ln.strip()]
        detail = ": " + " ".join(lines[:2]) if lines else ""
        return ServeError(f"the Oxigraph server exited with status {self.process.returncode}{detail}")

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until the query page answers through the proxy; raise ServeError if Oxigraph exits or never answers."""
        deadline = time.monotonic() + timeout
        retries = _BIND_RETRIES
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self._exited()
                if retries and "Address already in use" in str(error):
                    retries -= 1
                    self._relaunch_elsewhere()
                    continue
                self.stop()
                raise error
            # Oxigraph's own port first (the proxy would answer 502 until it listens), then the proxy's
            for url in (f"http://{HOST}:{self.proxy.upstream[1]}/", self.url):
                try:
                    with _DIRECT.open(url, timeout=1) as response:
                        if response.status != 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    break
            else:
                return
            time.sleep(0.1)
        self.stop()
        raise ServeError(f"the Oxigraph server did not answer on {self.url} within {timeout:.0f} s")

    def wait(self) -> int:
        """Block until Oxigraph's server exits; its status."""
        return self.process.wait()

    def stop(self, grace: float = 5.0) -> None:
        """Close the public port, then terminate Oxigraph (SIGTERM, then SIGKILL after `grace` seconds)."""
        if self.proxy.socket.fileno() != -1:
            self.proxy.shutdown()
            self.proxy.server_close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._relay is not None:
            self._relay.join(grace)
        self.sink.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_server(store: Path, port: int = DEFAULT_PORT, timeout_s: int = DEFAULT_TIMEOUT_S,
                 allow_update: bool = False, log: Path | None = None, stderr: IO | None = None) -> Server:
    """Start serving `store` on 127.0.0.1:`port` (0: any free port); call `wait_ready` before using it.

    The public port is bound here, so a taken port is a ServeError now; Oxigraph starts behind it
    on a free internal port. Messages (Oxigraph's errors, the proxy's refusals) go to `log` (a
    file, appended) and/or `stderr` (a text stream); to sys.stderr when neither is given.
    """
    check_store(store)
    if log is None and stderr is None:
        stderr = sys.stderr
    command = server_command(store, _free_port(), timeout_s, allow_update)
    upstream = (HOST, int(command[command.index("--bind") + 1].rsplit(":", 1)[1]))
    sink = _Sink(log, stderr)
    try:
        # a query may stream for up to timeout_s; past that (plus slack) Oxigraph is not answering
        proxy = GuardingProxy((HOST, port), upstream, allow_update, upstream_timeout=timeout_s + 30,
                              note=sink.write)
    except OSError as exc:
        sink.close()
        raise ServeError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from None
    server = Server(proxy, command, sink, allow_update)
    serving = threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.2}, name="eventkg-serve",
                               daemon=True)
    serving.start()
    try:
        server._launch()
    except ServeError:
        server.stop()
        raise
    return server
