"""Running the extraction pipeline off the main process: a local process pool or a Dask cluster.

The unit of work is a batch of `Article`s; a worker runs the spaCy pipeline over it and returns
the harvested `ArticleRecord`s (or `ArticleFailure`s) — small frozen dataclasses that pickle —
so the process that owns the store only writes triples. Results come back in input order,
which keeps builds deterministic (the first article to mention an entity describes it).

* `process_pool(n)`: n local worker processes (`concurrent.futures`), for one machine.
* `dask_cluster("tcp://host:port")`: connect to a running Dask scheduler; its workers need
  eventkg installed. `dask_cluster("local:N")` starts a `LocalCluster` of N single-threaded
  worker processes listening on loopback only, and stops it afterwards.

Each is a context manager giving an *extractor*: a callable from a list of articles to an
iterator of results, which `graph.build.build(..., extract=...)` accepts.
"""
from __future__ import annotations

import contextlib
import functools
import multiprocessing
import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from extract.lexicon import DATA_DIR
from extract.pipeline import ArticleFailure, build_pipeline, process
from extract.reader import Article
from extract.records import ArticleRecord

Result = ArticleRecord | ArticleFailure
Extractor = Callable[[Sequence[Article]], Iterator[Result]]

BATCH_SIZE = 16          # articles per task: large enough to amortise scheduling, small enough to balance
WINDOW_PER_WORKER = 4    # tasks in flight per worker: keeps workers busy without holding the whole corpus
_LOCAL = re.compile(r"^local:(\d+)$")


class ClusterError(RuntimeError):
    """A Dask address that is malformed or cannot be reached; the message names it."""


@functools.lru_cache(maxsize=2)
def _pipeline(data_dir: str, morphology_db: str | None = None):
    # one pipeline per worker process (and lexicon folder / morphology database), loaded on its first batch
    return build_pipeline(data_dir, morphology_db=morphology_db)


def extract_batch(articles: Sequence[Article], data_dir: str = str(DATA_DIR),
                  morphology_db: str | None = None) -> list[Result]:
    """Run the pipeline over `articles` in this process; one result per article, in order.
    `morphology_db`: an optional camel-tools morphology database file (see extract/morphology.py)."""
    return list(process(_pipeline(data_dir, morphology_db), articles))


def batches(items: Sequence, size: int) -> Iterator[list]:
    """`items` in consecutive lists of at most `size`."""
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def run_ordered(submit: Callable[[list[Article]], object], articles: Sequence[Article],
                batch_size: int, window: int) -> Iterator[Result]:
    """Submit batches of `articles` (at most `window` in flight) and yield their results in input order.

    submit(batch) returns a future with `.result()` (concurrent.futures or Dask). A batch whose
    task fails as a whole (a worker died, the cluster went away) turns into one ArticleFailure
    per article, so the rest of the build goes on.
    """
    pending: deque[tuple[list[Article], object]] = deque()

    def collect() -> list[Result]:
        batch, future = pending.popleft()
        try:
            return future.result()
        except Exception as exc:  # noqa: BLE001 — a lost batch is reported per article, never fatal
            reason = f"worker failed: {type(exc).__name__}: {exc}"
            return [ArticleFailure(a.id, a.path, reason) for a in batch]

    for batch in batches(articles, batch_size):
        pending.append((batch, submit(batch)))
        if len(pending) >= window:
            yield from collect()
    while pending:
        yield from collect()


@contextlib.contextmanager
def process_pool(processes: int, data_dir: str | Path = DATA_DIR,
                 batch_size: int = BATCH_SIZE, morphology_db: str | Path | None = None) -> Iterator[Extractor]:
    """An extractor running the pipeline in `processes` local worker processes."""
    morph = str(morphology_db) if morphology_db is not None else None
    if processes < 1:
        raise ValueError(f"--processes must be at least 1, got {processes}")
    # spawn, not fork: the parent may hold threads (progress bar, Dask) that fork would copy mid-state
    with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        def extract(articles: Sequence[Article]) -> Iterator[Result]:
            return run_ordered(lambda batch: pool.submit(extract_batch, batch, str(data_dir), morph),
                               articles, batch_size, processes * WINDOW_PER_WORKER)

        yield extract


def parse_address(address: str) -> tuple[str, int | None]:
    """`"local:N"` → ("local", N); `"tcp://host:port"` (or another Dask URL) → (address, None)."""
    match = _LOCAL.match(address)
    if match:
        workers = int(match.group(1))
        if workers < 1:
            raise ClusterError(f"--dask {address}: a local cluster needs at least 1 worker")
        return "local", workers
    if re.match(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s/]+$", address):
        return address, None
    raise ClusterError(f"--dask {address!r}: expected a scheduler address such as tcp://host:8786, or local:N")


@contextlib.contextmanager
def dask_cluster(address: str, data_dir: str | Path = DATA_DIR, batch_size: int = BATCH_SIZE,
                 connect_timeout: float = 20.0, morphology_db: str | Path | None = None) -> Iterator[Extractor]:
    """An extractor running the pipeline on a Dask cluster (an address, or `local:N` started here).
    `morphology_db` must be readable at the same path on every worker."""
    morph = str(morphology_db) if morphology_db is not None else None
    from distributed import Client, LocalCluster

    where, workers = parse_address(address)
    with contextlib.ExitStack() as stack:
        if where == "local":
            # loopback only, one thread per worker process (spaCy pipelines are not shared across threads),
            # no dashboard (it needs bokeh and a port)
            cluster = stack.enter_context(LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, silence_logs=40))
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(where, timeout=connect_timeout))
            except (OSError, TimeoutError) as exc:
                raise ClusterError(f"--dask {address}: cannot reach the scheduler: {exc}") from None
        window = max(1, len(client.scheduler_info().get("workers", {})) or 1) * WINDOW_PER_WORKER

        def extract(articles: Sequence[Article]) -> Iterator[Result]:
            # pure=False: batches are new work every time, no need to hash their texts for dedup
            return run_ordered(lambda batch: client.submit(extract_batch, batch, str(data_dir), morph, pure=False),
                               articles, batch_size, window)

        yield extract


@contextlib.contextmanager
def extractor_for(processes: int = 1, dask: str | None = None,
                  data_dir: str | Path = DATA_DIR, morphology_db: str | Path | None = None) -> Iterator[Extractor | None]:
    """The extractor the CLI options ask for: None (in-process) for one process and no Dask."""
    if dask is not None:
        with dask_cluster(dask, data_dir, morphology_db=morphology_db) as extract:
            yield extract
    elif processes > 1:
        with process_pool(processes, data_dir, morphology_db=morphology_db) as extract:
            yield extract
    else:
        if processes < 1:
            raise ValueError(f"--processes must be at least 1, got {processes}")
        yield None

