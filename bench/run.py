"""Benchmark eventkg at scale and print the figures: `python bench/run.py [--sizes 1000,10000,50000]`.

In one run:

1. Extraction on a generated corpus (`bench/generate.py`): words/s and articles/s of the full
   pipeline in 1 process and in N processes (`graph.distributed.process_pool`), next to the
   bare `spacy.blank("ar")` tokenizer's words/s on the same texts. Words are the bare
   tokenizer's tokens; the ratio pipeline/tokenizer is the figure (target ≥ 0.25).
2. Stores at each size: the harvested records of the extracted sample are replicated with new
   article ids, each replica moved to a later period (all dates shifted by whole multiples of
   the sample's time span), until the size is reached; they are written through the build's
   own store path (`replace_graphs`, batches of 256 articles) into rdflib (`MemoryStore`,
   capped by --rdflib-max) and Oxigraph on disk (`OxigraphStore`), then canonical events are
   linked (`graph/canonical.py`) where available. Each (backend, size) runs in a fresh process
   so its peak memory (ru_maxrss) is its own. Measured: load triples/s; median latency of
   `who_did_what_at` (who_did_what filtered by a place), `conflicting_claims` and the
   actor-network query `actor_interactions` (what graph/network.py runs; skipped with a note
   where a query file does not exist); peak memory.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import datetime as dt
import json
import pickle
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

QUERY_DIR = ROOT / "graph" / "queries"
PAGE_ROWS = 100   # who_did_what_at is also timed for its first rows only
TIMED_QUERIES = {   # name → query file (network_from_store is timed apart: the `eventkg network` path)
    "who_did_what_at": QUERY_DIR / "who_did_what_at.rq",
    "conflicting_claims": QUERY_DIR / "conflicting_claims.rq",
    "actor_pairs": Path(__file__).resolve().parent / "queries" / "actor_pairs.rq",
    "actor_interactions": QUERY_DIR / "actor_interactions.rq",
    "actor_network": QUERY_DIR / "actor_network.rq",
}


def peak_mib() -> float:
    """Peak resident memory of this program so far, in MiB.

    VmHWM (Linux) starts afresh at exec; ru_maxrss would carry over the parent's peak into a child.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----------------------------------------------------------------------------- extraction


def bench_extraction(corpus_dir: Path, processes: list[int], profile: bool) -> tuple[dict, list]:
    """Figures for the pipeline in each process count and for the bare tokenizer; and the records."""
    import spacy

    from extract.pipeline import ArticleFailure, build_pipeline, process
    from extract.reader import collect_inputs, read_article
    from graph.distributed import BATCH_SIZE, process_pool

    paths, meta, _ = collect_inputs([corpus_dir])
    articles = [read_article(p, meta.get(p.stem)) for p in paths]
    texts = [a.text for a in articles]

    blank = spacy.blank("ar")
    words = sum(len(doc) for doc in blank.tokenizer.pipe(texts))
    tokenizer_s = min(_timed(lambda: sum(1 for _ in blank.tokenizer.pipe(texts))) for _ in range(3))
    figures = {"articles": len(articles), "words": words, "tokenizer words/s": words / tokenizer_s}

    nlp = build_pipeline()
    list(process(nlp, articles[:3]))   # warm-up: lazy tables, first-call costs
    started = time.perf_counter()
    records = list(process(nlp, articles))
    one = time.perf_counter() - started
    if profile:   # a separate pass: the profiler slows what it measures
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
        list(process(nlp, articles[:100]))
        profiler.disable()
        figures["profile"] = _hot_spots(profiler)
    failures = [r for r in records if isinstance(r, ArticleFailure)]
    records = [r for r in records if not isinstance(r, ArticleFailure)]
    figures["failed articles"] = len(failures)
    figures["peak MiB (1 process)"] = peak_mib()
    runs = {1: one}
    for n in processes:
        if n == 1:
            continue
        with process_pool(n) as extract:
            # start and warm every worker before timing: a task holds BATCH_SIZE articles, so
            # two per worker (while the first loads its pipeline the next task goes to another)
            list(extract(articles[: 2 * BATCH_SIZE * n]))
            started = time.perf_counter()
            list(extract(articles))
            runs[n] = time.perf_counter() - started
    for n, seconds in runs.items():
        figures[f"{n} process(es)"] = {
            "seconds": seconds, "words/s": words / seconds, "articles/s": len(articles) / seconds,
            "ratio to tokenizer": (words / seconds) / figures["tokenizer words/s"],
        }
    return figures, records


REAL_ARTICLES = [ROOT / "seeds", ROOT / "tests" / "gold_dev" / "articles"]


def bench_real_text(passes: int = 3) -> dict:
    """The same ratio on real articles (the seeds and the dev set), every pass with a fresh
    tokenizer and a fresh pipeline, so neither starts with a warm cache. The generated corpus
    recombines a few thousand distinct words, which keeps spaCy's tokenizer cache hot and makes
    the bare tokenizer several times faster than on news it has not seen."""
    import spacy

    from extract.pipeline import build_pipeline, process
    from extract.reader import collect_inputs, read_article

    paths, meta, _ = collect_inputs(REAL_ARTICLES)
    articles = [read_article(p, meta.get(p.stem)) for p in paths]
    texts = [a.text for a in articles]
    words = sum(len(doc) for doc in spacy.blank("ar").tokenizer.pipe(texts))
    tokenizer, pipeline = [], []
    for _ in range(passes):
        blank = spacy.blank("ar")
        tokenizer.append(words / _timed(lambda: sum(1 for _ in blank.tokenizer.pipe(texts))))
        nlp = build_pipeline()
        pipeline.append(words / _timed(lambda: list(process(nlp, articles))))
    ratios = [p / t for p, t in zip(pipeline, tokenizer)]
    return {"articles": len(articles), "words": words, "tokenizer words/s": statistics.median(tokenizer),
            "pipeline words/s": statistics.median(pipeline),
            "articles/s": len(articles) / (words / statistics.median(pipeline)),
            "ratio to tokenizer": statistics.median(ratios), "ratios": ratios}


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _hot_spots(profiler, top: int = 25) -> list[str]:
    import io
    import pstats

    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    lines = [ln.rstrip() for ln in out.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    return lines[start:]


# ----------------------------------------------------------------------------- stores


def _shift(value, days: int):
    """A record field with every date moved by `days` (recursing through the frozen dataclasses)."""
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=days)
    if isinstance(value, tuple):
        return tuple(_shift(v, days) for v in value)
    if dataclasses.is_dataclass(value):
        changes = {f.name: _shift(getattr(value, f.name), days) for f in dataclasses.fields(value)
                   if isinstance(getattr(value, f.name), (dt.date, tuple)) or dataclasses.is_dataclass(getattr(value, f.name))}
        return dataclasses.replace(value, **changes)
    return value


def replicate(records: list, size: int) -> Iterator:
    """`size` records: the sample, then copies with new ids, each copy in a later period."""
    dates = [d for r in records for d in [r.published, *(e.date for e in r.events)] if d]
    span = (max(dates) - min(dates)).days + 30 if dates else 365
    for i in range(size):
        copy, base = divmod(i, len(records))
        record = records[base]
        if copy:
            record = dataclasses.replace(_shift(record, copy * span), id=f"{record.id}_r{copy}",
                                         sha256=f"{record.sha256[:56]}{copy:08x}")
        yield record


def busiest_places(records: list) -> list[str]:
    """English labels of the town with the most event mentions, of the median-busy town (a typical
    place lookup), and of the governorate with the most (places inside it count): a selective place
    lookup at its busiest, a typical one, and a broad one."""
    from collections import Counter

    from extract.lexicon import load_lexicons

    lexicons = load_lexicons()
    towns, governorates = Counter(), Counter()
    for record in records:
        for event in record.events:
            for place in event.places:
                if place.subtype == "town":
                    towns[place.key] += 1
                for key in (place.key, *lexicons.ancestors(place.key)):
                    entry = lexicons.entity(key)
                    if entry is not None and entry.subtype == "governorate":
                        governorates[key] += 1
    by_count = sorted(sorted(towns), key=towns.__getitem__)   # ties in name order: deterministic
    chosen = [by_count[-1], by_count[len(by_count) // 2],
              max(sorted(governorates), key=governorates.__getitem__)]
    return [lexicons.entity(k).label_en or lexicons.entity(k).label_ar for k in chosen]


class QueryTimeout(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: int):
    """Raise QueryTimeout in this (main) thread after `seconds`."""
    def alarm(*_):
        raise QueryTimeout

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def timed_query(store, text: str, bindings, repeat: int, limit: int,
                max_rows: int | None = None) -> tuple[float | str, int]:
    """Median seconds over `repeat` runs (one run if it takes over 10 s) and the row count; "> limit s" if cut.

    max_rows: read only the first rows, as `eventkg query --limit N` does (the engine still sorts them all)."""
    times, rows = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            with time_limit(limit):
                rows = len(store.query(text, bindings, max_rows=max_rows).rows)
        except QueryTimeout:
            return f"> {limit} s", 0
        times.append(time.perf_counter() - started)
        if times[-1] > 10:
            break
    return statistics.median(times), rows


def store_case(backend: str, size: int, records_file: Path, work: Path, places: list[str], repeat: int,
               limit: int, canonical_limit: int, keep: bool = False, load_only: bool = False,
               queries_only: bool = False) -> dict:
    """Load `size` articles into `backend`, link canonical events, time the queries (runs in its own process).

    keep: leave an Oxigraph store in `work` with its load figures (`load.json`), and reuse such a
    store instead of loading again; load_only: stop after the load (to measure the rest later);
    queries_only: on a reused store, whose summaries a kept run already wrote, time the queries only."""
    from graph.iri import article_graph_iri, entities_graph_iri, entity_iri
    from graph.rdf import article_triples, entity_triples
    from graph.store import MemoryStore, OxigraphStore

    records = pickle.loads(records_file.read_bytes())
    location = work / f"{backend}-{size}"
    partial = work / f"{backend}-{size}.partial.json"

    def step(what: str) -> None:   # progress on stderr, and the figures so far in case the process dies
        print(f"    {backend} {size:,}: {what} (peak {peak_mib():,.0f} MiB)", file=sys.stderr, flush=True)
        partial.write_text(json.dumps(result, default=str))

    result: dict = {"backend": backend, "articles": size}
    loaded = location / "load.json"
    if queries_only and not (keep and backend == "oxigraph" and loaded.is_file()):
        raise SystemExit(f"--queries-only: no store kept and summarised in {location} (run with --keep-stores first)")
    if keep and backend == "oxigraph" and loaded.is_file():
        result.update(json.loads(loaded.read_text()), reused_store=str(location))
        store = OxigraphStore(location)
        step("reused the store loaded earlier")
        return _summaries_and_queries(store, result, backend, location, places, repeat, limit, canonical_limit,
                                      keep, step, summaries=not queries_only)
    shutil.rmtree(location, ignore_errors=True)
    store = OxigraphStore(location) if backend == "oxigraph" else MemoryStore()
    triples = 0
    described: set = set()
    started = time.perf_counter()
    writing = 0.0   # seconds inside the store's write, without making the triples
    batch: dict = {}
    fresh: list = []

    def write() -> float:
        began = time.perf_counter()
        store.replace_graphs(batch, {entities_graph_iri(): fresh})
        return time.perf_counter() - began

    for record in replicate(records, size):
        graph = list(article_triples(record))
        triples += len(graph)
        batch[article_graph_iri(record.id)] = graph
        for entity in (*record.entities, *record.context):
            if entity_iri(entity.key) not in described:
                described.add(entity_iri(entity.key))
                fresh.extend(entity_triples(entity))
        if len(batch) >= 256:
            triples += len(fresh)
            writing += write()
            batch, fresh = {}, []
    triples += len(fresh)
    writing += write()
    if backend == "oxigraph":
        began = time.perf_counter()
        store.flush()   # after bulk loads this also compacts the store (see OxigraphStore.flush)
        writing += time.perf_counter() - began
    load_s = time.perf_counter() - started
    result.update({"triples": triples, "load s": load_s,
                   "load triples/s": triples / load_s, "store write triples/s": triples / writing,
                   "peak MiB after load": peak_mib()})
    step(f"loaded {triples:,} triples in {load_s:,.0f} s")
    if keep and backend == "oxigraph":
        loaded.write_text(json.dumps(result))
    if load_only:
        return result
    return _summaries_and_queries(store, result, backend, location, places, repeat, limit, canonical_limit, keep, step)


def _summaries_and_queries(store, result: dict, backend: str, location: Path, places: list[str], repeat: int,
                           limit: int, canonical_limit: int, keep: bool, step, summaries: bool = True) -> dict:
    """The build's summaries on a loaded store (unless `summaries` is false), then the timed
    queries; the figures join `result`."""
    if summaries:
        _summaries(store, result, canonical_limit, step)
    if backend == "oxigraph":
        result["disk MiB"] = sum(f.stat().st_size for f in location.iterdir()) / 2**20
    return _timed_queries(store, result, location, places, repeat, limit, keep, step)


def _summaries(store, result: dict, canonical_limit: int, step) -> None:
    """What `eventkg build` does after writing the articles (graph/build.py `summarise`): mentions
    read once, canonical events, the actor network; timed, with the peak memory after them."""
    started_summaries = time.perf_counter()
    from graph.canonical import fetch_mentions, link_canonical_events
    from graph.network import materialise_network
    try:
        with time_limit(canonical_limit):
            began = time.perf_counter()
            mentions = fetch_mentions(store)
            result["mentions"] = len(mentions)
            result["read mentions s"] = time.perf_counter() - began
            step(f"read {len(mentions):,} mentions")
            began = time.perf_counter()
            result["canonical events"] = link_canonical_events(store, mentions)
            result["canonical linking s"] = time.perf_counter() - began
            step(f"linked {result['canonical events']:,} canonical events")
            began = time.perf_counter()
            result["network actors + edges"] = materialise_network(store, mentions)
            result["network materialising s"] = time.perf_counter() - began
            del mentions
            result["canonical s"] = time.perf_counter() - started_summaries
    except QueryTimeout:
        result["canonical s"] = f"> {canonical_limit} s"
    result["peak MiB after canonical"] = peak_mib()
    step(f"canonical linking: {result.get('canonical s')}")


def _timed_queries(store, result: dict, location: Path, places: list[str], repeat: int, limit: int, keep: bool,
                   step) -> dict:
    """The timed queries on a store with its summaries; the figures join `result`, which is returned."""
    from graph.queries import bind_value
    for name, path in TIMED_QUERIES.items():
        if not path.is_file():
            result[f"{name} s"] = f"{path.relative_to(ROOT)} not present: skipped"
            continue
        text = path.read_text(encoding="utf-8")
        # which version of the query file this case timed (the file may change between the cases of a long run)
        result[f"{name} query sha256"] = hashlib.sha256(text.encode()).hexdigest()[:12]
        for place in (places if name == "who_did_what_at" else [None]):
            bindings = {"place": bind_value(place)} if place else None
            # a place-filtered table is also timed for its first screenful (`--limit PAGE_ROWS`)
            for key, max_rows in ([(f"{name} @ {place}", None), (f"{name} @ {place} first {PAGE_ROWS}", PAGE_ROWS)]
                                  if place else [(name, None)]):
                result[f"{key} s"], result[f"{key} rows"] = timed_query(store, text, bindings, repeat, limit, max_rows)
                result[f"peak MiB after {key}"] = peak_mib()
                step(f"{key}: {result[f'{key} s']}")
    # what `eventkg network` does without filters: read the materialised network into networkx
    from graph.network import network_from_store
    class Sized:   # timed_query's interface: .query(text, bindings).rows
        def query(self, *_, **__):
            network = network_from_store(store)
            return QueryResult([], [None] * (network.number_of_nodes() + network.number_of_edges()))

    from graph.store import QueryResult
    result["network_from_store s"], result["network_from_store rows"] = timed_query(Sized(), "", None, repeat, limit)
    step(f"network_from_store: {result['network_from_store s']}")
    result["peak MiB"] = peak_mib()
    del store
    if not keep:
        shutil.rmtree(location, ignore_errors=True)
    return result


def run_store_case(backend: str, size: int, records_file: Path, work: Path, places: list[str], repeat: int,
                   limit: int, canonical_limit: int, keep: bool = False, load_only: bool = False,
                   queries_only: bool = False) -> dict:
    """`store_case` in a fresh Python process, so peak memory is the case's own."""
    command = [sys.executable, __file__, "--store-case", f"{backend}:{size}", "--records", str(records_file),
               "--work", str(work), "--places", ",".join(places), "--repeat", str(repeat),
               "--query-timeout", str(limit), "--canonical-timeout", str(canonical_limit),
               *(["--keep-stores"] if keep else []), *(["--load-only"] if load_only else []),
               *(["--queries-only"] if queries_only else [])]
    partial = work / f"{backend}-{size}.partial.json"
    partial.unlink(missing_ok=True)
    # the child's stderr (its progress) passes through; its stdout is the result
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        figures = json.loads(partial.read_text()) if partial.is_file() else {"backend": backend, "articles": size}
        figures["error"] = f"the case process exited with status {done.returncode} after the figures shown"
        return figures
    return json.loads(done.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- report


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value if value.startswith(">") else "skipped"
    if unit == "ms":
        return f"{value * 1000:,.0f} ms" if value >= 0.01 else f"{value * 1000:.1f} ms"
    if unit == "s":
        return f"{value:,.2f} s"
    return f"{value:,.0f}"


def report(extraction: dict | None, cases: list[dict], rdflib_max: int) -> str:
    lines = []
    if extraction:
        lines.append(f"## Extraction: {extraction['articles']} generated articles, {extraction['words']:,} words, "
                     f"{extraction['failed articles']} failed")
        lines.append("")
        lines.append("| run | words/s | articles/s | ratio to bare tokenizer |")
        lines.append("|---|---|---|---|")
        lines.append(f"| spaCy `blank(\"ar\")` tokenizer | {extraction['tokenizer words/s']:,.0f} | – | 1 |")
        for key, fig in extraction.items():
            if key.endswith("process(es)"):
                lines.append(f"| pipeline, {key} | {fig['words/s']:,.0f} | {fig['articles/s']:.1f} | "
                             f"{fig['ratio to tokenizer']:.3f} |")
        real = extraction.get("real articles")
        if real:
            lines.append(f"| real articles ({real['articles']}, {real['words']:,} words), cold caches: tokenizer "
                         f"{real['tokenizer words/s']:,.0f} w/s, pipeline in 1 process | {real['pipeline words/s']:,.0f} | "
                         f"{real['articles/s']:.1f} | {real['ratio to tokenizer']:.3f} |")
        lines.append(f"\npeak memory, extraction in 1 process: {extraction['peak MiB (1 process)']:,.0f} MiB")
        lines.append("")
    lines.append("## Stores")
    lines.append("")
    query_keys = list(dict.fromkeys(k[:-2] for c in cases for k in c if k.endswith(" s") and k[:-2].split(" @ ")[0] in [*TIMED_QUERIES, "network_from_store"]))
    lines.append("| articles | backend | triples | load triples/s (records → store) | store write triples/s | summaries (canonical events + network) | "
                 + " | ".join(query_keys) + " | peak memory: build (load + summaries) | peak memory: with the queries | disk |")
    lines.append("|---" * (9 + len(query_keys)) + "|")
    errors = []
    for case in cases:
        if "triples" not in case:
            lines.append(f"| {case['articles']:,} | {case['backend']} | error: {case.get('error')} |")
            continue
        if "error" in case:   # cut short: what it measured before, then the error under the table
            errors.append(f"note: {case['backend']}, {case['articles']:,} articles: {case['error']}")
        cells = []
        for key in query_keys:
            value = case.get(f"{key} s")
            cells.append(_fmt(value, "ms" if key.startswith("who_did_what_at") else "s")
                         + (f" ({case.get(f'{key} rows', 0):,} rows)" if isinstance(value, float) else ""))
        peak = max((v for k, v in case.items() if k.startswith("peak MiB") and isinstance(v, (int, float))), default=0)
        build_peak = case.get("peak MiB after canonical")
        build = f"{build_peak / 1024:.2f} GiB" if build_peak else "–"   # none when the queries alone were timed
        disk = f"{case['disk MiB']:,.0f} MiB" if "disk MiB" in case else "–"
        lines.append(f"| {case['articles']:,} | {case['backend']} | {case['triples']:,} | {case['load triples/s']:,.0f} | "
                     f"{case.get('store write triples/s', 0):,.0f} | "
                     f"{_fmt(case.get('canonical s'), 's')} | " + " | ".join(cells) + f" | {build} | {peak / 1024:.2f} GiB | {disk} |")
    lines += errors
    by = {(c["backend"], c["articles"]): c for c in cases if "triples" in c}
    ratios = []
    for (backend, size), ox_case in sorted(by.items()):
        rd = by.get(("rdflib", size))
        if backend != "oxigraph" or rd is None:
            continue
        parts = [f"load ×{ox_case['load triples/s'] / rd['load triples/s']:.1f}"]
        if ox_case.get("store write triples/s") and rd.get("store write triples/s"):
            parts.append(f"store write ×{ox_case['store write triples/s'] / rd['store write triples/s']:.1f}")
        for key in query_keys:
            a, b = ox_case.get(f"{key} s"), rd.get(f"{key} s")
            if isinstance(a, float) and isinstance(b, float) and a > 0:
                parts.append(f"{key} ×{b / a:.0f}")
            elif isinstance(a, float) and isinstance(b, str) and a > 0:
                parts.append(f"{key}: rdflib {b}")
        ratios.append(f"* {size:,} articles, Oxigraph vs rdflib (times faster): " + ", ".join(parts))
    if ratios:
        lines += ["", *ratios]
    lines.append(f"\nrdflib is measured up to {rdflib_max:,} articles (--rdflib-max); larger sizes only on Oxigraph.")
    skipped = {k: v for c in cases for k, v in c.items() if isinstance(v, str) and "skipped" in v}
    for key, note in sorted(skipped.items()):
        lines.append(f"note: {key.removesuffix(' s')}: {note}")
    return "\n".join(lines)


def write_json(path: Path, extraction: dict | None, cases: list[dict], complete: bool) -> None:
    """All figures so far as JSON, written atomically (`complete` is false while cases remain)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"complete": complete, "extraction": extraction, "stores": cases}, indent=2, default=str))
    tmp.replace(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="store sizes in articles, comma-separated")
    parser.add_argument("--backends", default="rdflib,oxigraph")
    parser.add_argument("--rdflib-max", type=int, default=10000, help="largest size measured on rdflib")
    parser.add_argument("--extract-articles", type=int, default=300, help="generated articles for the extraction run")
    parser.add_argument("--processes", default="1,2", help="process counts for the extraction run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--places", default=None,
                        help="places for who_did_what_at, comma-separated (default: the sample's busiest town and governorate)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per query (median reported)")
    parser.add_argument("--query-timeout", type=int, default=120, help="seconds after which a query is cut")
    parser.add_argument("--canonical-timeout", type=int, default=900, help="seconds after which canonical linking is cut")
    parser.add_argument("--profile", action="store_true", help="print the extraction's cProfile hot spots")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--json", type=Path, default=None, help="also write all figures as JSON here")
    parser.add_argument("--keep-stores", action="store_true",
                        help="keep the Oxigraph stores in --work, and reuse those a run kept instead of loading again")
    parser.add_argument("--load-only", action="store_true", help="stop each store case after its load")
    parser.add_argument("--queries-only", action="store_true",
                        help="with --keep-stores: on the stores a kept run loaded and summarised, time the queries only")
    parser.add_argument("--store-case", help=argparse.SUPPRESS)
    parser.add_argument("--records", type=Path, default=None,
                        help="skip the extraction run: build the stores from records.pkl kept in an earlier run's --work folder")
    args = parser.parse_args(argv)
    if args.queries_only and (not args.keep_stores or args.load_only):
        parser.error("--queries-only needs --keep-stores (the stores to time) and no --load-only")

    if args.store_case:   # child process: one (backend, size)
        backend, size = args.store_case.split(":")
        print(json.dumps(store_case(backend, int(size), args.records, args.work, args.places.split(","),
                                    args.repeat, args.query_timeout, args.canonical_timeout,
                                    args.keep_stores, args.load_only, args.queries_only)))
        return

    from generate import generate, write_corpus

    work = args.work or Path(tempfile.mkdtemp(prefix="eventkg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    records_file = work / "records.pkl"
    if args.records:   # stores only, from the records an earlier run harvested
        extraction, records = None, pickle.loads(args.records.read_bytes())
        if args.records.resolve() != records_file.resolve():
            shutil.copyfile(args.records, records_file)
    else:
        corpus = work / "corpus"
        shutil.rmtree(corpus, ignore_errors=True)
        write_corpus(generate(args.extract_articles, args.seed), corpus)
        print(f"extracting {args.extract_articles} generated articles ...", file=sys.stderr)
        extraction, records = bench_extraction(corpus, [int(n) for n in args.processes.split(",")], args.profile)
        print("extracting the real articles (seeds and dev set) with cold caches ...", file=sys.stderr)
        extraction["real articles"] = bench_real_text()
        records_file.write_bytes(pickle.dumps(records))
    if args.json:
        write_json(args.json, extraction, [], complete=False)
    places = args.places.split(",") if args.places else busiest_places(records)
    print(f"who_did_what_at places: {', '.join(places)}", file=sys.stderr)

    cases = []
    for size in (int(s) for s in args.sizes.split(",")):
        for backend in args.backends.split(","):
            if backend == "rdflib" and size > args.rdflib_max:
                continue
            print(f"store: {backend}, {size:,} articles ...", file=sys.stderr)
            cases.append(run_store_case(backend, size, records_file, work, places, args.repeat, args.query_timeout,
                                        args.canonical_timeout, args.keep_stores, args.load_only, args.queries_only))
            print(f"  {json.dumps(cases[-1])}", file=sys.stderr, flush=True)
            if args.json:   # partial figures after every case: a long run cut short keeps what it measured
                write_json(args.json, extraction, cases, complete=False)
    print(report(extraction, cases, args.rdflib_max))
    if extraction and extraction.get("profile"):
        print("\n## Extraction hot spots (cProfile, cumulative)\n")
        print("\n".join(extraction["profile"]))
    if args.json:
        write_json(args.json, extraction, cases, complete=True)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
