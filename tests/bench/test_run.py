"""The benchmark's corpus generator and store case (bench/), on a few articles.

The figures themselves are not asserted (they belong to the machine); what is checked is that
the generator is deterministic and that a store case loads, summarises and queries real records,
and can keep its store and measure it again later without loading it twice.
"""
from __future__ import annotations

import importlib.util
import json
import pickle
import sys

import pytest

from extract.pipeline import process
from extract.reader import collect_inputs, read_article
from tests.conftest import SEEDS

BENCH = SEEDS.parent / "bench"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    sys.path.insert(0, str(BENCH))   # run.py imports generate.py as a sibling
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench_run():
    return load("run")


@pytest.fixture(scope="module")
def seed_records(nlp):
    paths, meta, _ = collect_inputs([SEEDS])
    return list(process(nlp, [read_article(p, meta.get(p.stem)) for p in paths]))


def test_generated_corpus_is_deterministic_and_arabic():
    generate = load("generate").generate
    first, again, other = generate(4, 7), generate(4, 7), generate(4, 8)
    assert [a.text for a in first] == [a.text for a in again]
    assert [a.text for a in first] != [a.text for a in other]
    assert all(sum("\u0600" <= ch <= "\u06ff" for ch in a.text) > len(a.text) / 2 for a in first)


def test_replicas_get_new_ids_and_later_dates(bench_run, seed_records):
    copies = list(bench_run.replicate(seed_records, 2 * len(seed_records)))
    assert len({r.id for r in copies}) == len(copies)
    for original, copy in zip(seed_records, copies[len(seed_records):]):
        assert copy.id.startswith(original.id) and copy.id != original.id
        if original.published:
            assert copy.published > original.published


def test_store_case_loads_then_measures_the_kept_store(bench_run, seed_records, tmp_path):
    records = tmp_path / "records.pkl"
    records.write_bytes(pickle.dumps(seed_records))
    args = ("oxigraph", 12, records, tmp_path, ["Baghouz"], 1, 60, 120)
    loaded = bench_run.store_case(*args, keep=True, load_only=True)
    assert loaded["triples"] > 0 and "who_did_what_at @ Baghouz s" not in loaded
    assert json.loads((tmp_path / "oxigraph-12" / "load.json").read_text())["triples"] == loaded["triples"]

    measured = bench_run.store_case(*args, keep=True)
    assert measured["reused_store"] == str(tmp_path / "oxigraph-12")
    assert measured["triples"] == loaded["triples"]
    assert measured["canonical events"] > 0
    rows = measured["who_did_what_at @ Baghouz rows"]
    assert rows > 0
    # the first screenful reads at most PAGE_ROWS of the same rows
    assert measured[f"who_did_what_at @ Baghouz first {bench_run.PAGE_ROWS} rows"] == min(rows, bench_run.PAGE_ROWS)
    assert measured["conflicting_claims rows"] > 0   # seed 000's camp strike, in every copy
    assert measured["network_from_store rows"] > 0
    # timing the queries again on the kept store, summaries not rerun: the same rows
    again = bench_run.store_case(*args, keep=True, queries_only=True)
    assert "canonical s" not in again and "peak MiB after canonical" not in again
    assert again["who_did_what_at @ Baghouz rows"] == rows
    assert again["conflicting_claims rows"] == measured["conflicting_claims rows"]
    table = bench_run.report(None, [measured, again], rdflib_max=0)
    assert table.count("| 12 | oxigraph |") == 2
