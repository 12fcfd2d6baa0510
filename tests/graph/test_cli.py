"""The command line end to end on the seed articles: build, query, export, stats, validate."""
from __future__ import annotations

import csv
import io
import json

import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from graph.cli import EXIT_PARTIAL, EXIT_USAGE, app

runner = CliRunner()

WHO_DID_WHAT = ("event,type,agent_en,agent_ar,target_en,target_ar,place_en,place_ar,date,source_en,source_ar,"
                "killed,injured,count,certainty,article,evidence")
ENTITIES = "article,entity,type,label_en,label_ar"


@pytest.fixture(scope="module")
def built(tmp_path_factory, seed_copy):
    out = tmp_path_factory.mktemp("graph") / "seeds.trig"
    result = runner.invoke(app, ["build", str(seed_copy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def rows(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def query(graph, *args):
    return runner.invoke(app, ["query", *args, "--graph", str(graph), "--format", "csv"])


def test_build_writes_one_named_graph_per_article(built):
    ds = Dataset()
    ds.parse(built, format="trig")
    names = {str(g.identifier) for g in ds.graphs()}
    for stem in ("000_8ddf759b126afac4", "002_83f14baadfbd0921", "004_6ff3a86bc4507b72"):
        assert any(n.endswith(f"/graph/article/{stem}") for n in names)


def test_who_did_what_header_is_the_contract(built):
    result = query(built, "who_did_what")
    assert result.stdout.splitlines()[0] == WHO_DID_WHAT


def test_who_did_what_has_observatory_airstrike(built):
    found = [r for r in rows(query(built, "who_did_what"))
             if r["type"] == "Airstrike" and "Syrian Observatory for Human Rights" in r["source_en"].split("|")]
    assert found, "an Airstrike attributed to the Syrian Observatory for Human Rights (seed 000)"
    row = found[0]
    assert row["article"] == "000_8ddf759b126afac4"
    assert "Baghouz" in row["place_en"].split("|")
    assert "ضربات جوية" in row["evidence"]


def test_who_did_what_rows_are_well_formed(built, seed_articles):
    texts = {a.id: a.text for a in seed_articles}
    table = rows(query(built, "who_did_what"))
    assert len(table) >= 40
    for row in table:
        assert row["certainty"] in {"asserted", "uncertain", "negated"}
        assert row["evidence"] in texts[row["article"]]
        for role in ("agent", "target", "place", "source"):
            en, ar = row[f"{role}_en"], row[f"{role}_ar"]
            if ar:
                assert len(en.split("|")) == len(ar.split("|"))
        if row["date"]:
            assert len(row["date"]) == 10 and row["date"][4] == "-"


def test_execution_in_seed_001_is_dated_and_counted(built):
    table = rows(query(built, "who_did_what"))
    executions = [r for r in table if r["type"] == "Execution" and r["article"] == "001_fd7f6e054872468d"]
    assert any(r["date"] == "2019-02-12" and r["count"] == "25" and "Islamic State" in r["agent_en"] for r in executions)


def test_entities_query(built):
    result = query(built, "entities")
    assert result.stdout.splitlines()[0] == ENTITIES
    table = rows(result)
    sdf = [r for r in table if r["label_en"] == "Syrian Democratic Forces"]
    assert {r["article"] for r in sdf} == {f"00{i}" + s for i, s in enumerate(
        ["_8ddf759b126afac4", "_fd7f6e054872468d", "_83f14baadfbd0921", "_eb165dc4831d5914", "_6ff3a86bc4507b72"])}
    assert all(r["type"] == "ArmedGroup" and r["label_ar"] for r in sdf)
    assert any(r["label_en"] == "Baghouz" and r["type"] == "Place" for r in table)


@pytest.mark.parametrize("source", ["Syrian Observatory for Human Rights", "المرصد السوري لحقوق الإنسان"])
def test_according_to_binds_the_source(built, source):
    table = rows(query(built, "according_to", "--param", f"source={source}"))
    assert table and {r["article"] for r in table} >= {"000_8ddf759b126afac4", "002_83f14baadfbd0921"}


def test_events_at_includes_contained_places(built):
    # events in Baghouz (a town in Deir ez-Zor) count as events in Deir ez-Zor
    at_baghouz = rows(query(built, "events_at", "--param", "place=Baghouz"))
    in_deir = rows(query(built, "events_at", "--param", "place=Deir ez-Zor"))
    assert at_baghouz
    assert {r["event"] for r in at_baghouz} <= {r["event"] for r in in_deir}


def test_query_inline_and_json(built):
    result = runner.invoke(app, ["query", "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://schema.org/NewsArticle> }",
                                 "--graph", str(built), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"n": "5"}]


def test_build_is_deterministic(tmp_path, seed_copy, built):
    again = tmp_path / "again.trig"
    assert runner.invoke(app, ["build", str(seed_copy), "--out", str(again)]).exit_code == 0
    assert again.read_text(encoding="utf-8") == built.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt,suffix,parse_as", [
    ("turtle", ".ttl", "turtle"), ("nquads", ".nq", "nquads"), ("trig", ".trig", "trig"), ("jsonld", ".jsonld", "json-ld"),
    ("ntriples", ".nt", "nt"),
])
def test_export_reparses(built, tmp_path, fmt, suffix, parse_as):
    out = tmp_path / f"g{suffix}"
    result = runner.invoke(app, ["export", "--graph", str(built), "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    if parse_as in ("turtle", "nt"):
        merged = Graph().parse(out, format=parse_as)
        original = Dataset(default_union=True)
        original.parse(built, format="trig")
        union = Graph()
        for triple in original.triples((None, None, None)):
            union.add(triple)
        assert isomorphic(merged, union)
    else:
        ds = Dataset()
        ds.parse(out, format=parse_as)
        assert len(ds) > 0 or sum(len(g) for g in ds.graphs()) > 1000


def test_stats_counts_articles(built):
    result = runner.invoke(app, ["stats", "--graph", str(built), "--format", "csv"])
    table = rows(result)
    counts = {r["class"].rsplit("/", 1)[-1].rsplit("#", 1)[-1]: int(r["n"]) for r in table}
    assert counts["NewsArticle"] == 5
    assert counts["Airstrike"] >= 3


def test_usage_errors(tmp_path):
    assert runner.invoke(app, ["build", str(tmp_path / "missing"), "--out", str(tmp_path / "g.trig")]).exit_code == EXIT_USAGE
    assert runner.invoke(app, ["build", str(tmp_path), "--out", str(tmp_path / "g.xyz")]).exit_code == EXIT_USAGE
    assert runner.invoke(app, ["query", "no_such_query", "--graph", str(tmp_path / "g.trig")]).exit_code == EXIT_USAGE


def test_one_broken_article_does_not_stop_the_build(tmp_path, seed_copy):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in ("002_83f14baadfbd0921.txt", "004_6ff3a86bc4507b72.txt"):
        (folder / name).write_bytes((seed_copy / name).read_bytes())
    (folder / "broken.txt").write_bytes(b"\x00\x01\x02binary\x00junk")
    (folder / "empty.txt").write_text("   \n", encoding="utf-8")
    out = tmp_path / "g.trig"
    result = runner.invoke(app, ["build", str(folder), "--out", str(out)])
    assert result.exit_code == EXIT_PARTIAL
    assert "broken.txt" in result.output and "empty.txt" in result.output
    ds = Dataset()
    ds.parse(out, format="trig")
    assert sum(1 for g in ds.graphs() if "/graph/article/" in str(g.identifier)) == 2
