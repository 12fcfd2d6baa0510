"""Robustness end to end: broken inputs, exit statuses, the build summary, interrupted builds.

Every input case goes through the real command line (`graph.cli.app`) on a folder of real
files: the seed articles, re-encoded, wrapped in HTML, written in presentation forms or with
bidi controls, next to empty, binary, undecodable and English files and a broken sidecar.
"""
from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pyoxigraph as ox
import pytest
from rdflib import Dataset
from rdflib.namespace import RDF
from typer.testing import CliRunner

import graph.build
import graph.store
from extract.reader import read_article
from graph.build import BuildInterrupted, build
from graph.cli import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, app
from graph.iri import article_graph_iri, entities_graph_iri
from graph.store import OxigraphStore, atomic_write
from ontology import vocabulary

from ..conftest import ROOT, SEEDS

runner = CliRunner()


# --------------------------------------------------------------------------- inputs


def seed_text(stem: str) -> str:
    return (SEEDS / f"{stem}.txt").read_text(encoding="utf-8")


def seed_paragraphs() -> list[str]:
    """Every paragraph of every seed article, in file order."""
    return [p for path in sorted(SEEDS.glob("*.txt"))
            for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]


# the reference passage: the first three paragraphs of seed 000 (SDF, IS, Baghouz, the Observatory)
PASSAGE = "\n\n".join(seed_text("000_8ddf759b126afac4").split("\n\n")[:3])


def _presentation_forms() -> dict[str, dict[str, str]]:
    """letter (or «لا») → {"ISOLATED"|"INITIAL"|"MEDIAL"|"FINAL": presentation form}, from Unicode."""
    forms: dict[str, dict[str, str]] = {}
    for cp in [*range(0xFB50, 0xFE00), *range(0xFE70, 0xFEFF)]:
        ch = chr(cp)
        name = unicodedata.name(ch, "")
        base = unicodedata.normalize("NFKC", ch)
        if base not in ("لا",) and not (len(base) == 1 and "\u0621" <= base <= "\u064a"):
            continue
        for kind in ("ISOLATED", "INITIAL", "MEDIAL", "FINAL"):
            if name.endswith(f"{kind} FORM"):
                forms.setdefault(base, {}).setdefault(kind, ch)
    return forms


FORMS = _presentation_forms()


def in_presentation_forms(text: str) -> str:
    """`text` as old PDFs and web pages store it: each letter in its contextual presentation form."""

    def joins_next(ch: str) -> bool:
        return ch in FORMS and ("INITIAL" in FORMS[ch] or "MEDIAL" in FORMS[ch])

    out, i = [], 0
    while i < len(text):
        prev = text[i - 1] if i else ""
        if text.startswith("لا", i):
            out.append(FORMS["لا"]["FINAL" if joins_next(prev) else "ISOLATED"])
            i += 2
            continue
        ch = text[i]
        if ch in FORMS:
            after = joins_next(prev)
            before = joins_next(ch) and i + 1 < len(text) and text[i + 1] in FORMS
            kind = "MEDIAL" if after and before else "FINAL" if after else "INITIAL" if before else "ISOLATED"
            ch = FORMS[ch].get(kind) or FORMS[ch].get("ISOLATED") or ch
        out.append(ch)
        i += 1
    return "".join(out)


def with_bidi_controls(text: str) -> str:
    """`text` with the invisible direction marks word processors and CMSs sprinkle in."""
    marked = "\u200f ".join(text.split(" "))                     # RLM after every word
    marked = marked.replace("«", "\u2067«").replace("»", "»\u2069")   # quotes isolated (RLI … PDI)
    return "\u202b" + marked.replace("\n", "\u202c\n\u202b") + "\u202c\u061c"   # RLE … PDF, ALM


def as_html(text: str) -> str:
    """`text` as a scraped page: paragraphs in <p>, entities for quotes and a letter, markup inside sentences."""
    body = text.replace("&", "&amp;").replace("«", "&laquo;").replace("»", "&raquo;")
    body = body.replace("قوات", "<b>قوات</b>", 1).replace("قال", "&#1602;ال", 1)
    paragraphs = "".join(f"<p>{p}</p>\n" for p in body.split("\n\n"))
    return ("<!DOCTYPE html><html><head><title>عنوان | الموقع</title><style>p { margin: 0 }</style></head>"
            f"<body><div class=\"article\">\n{paragraphs}</div><script>var p = '<p>';</script></body></html>")


def long_article(n_chars: int) -> str:
    """At least `n_chars` of real Arabic news: the seed paragraphs repeated."""
    paragraphs, out, size = seed_paragraphs(), [], 0
    while size < n_chars:
        out.append(paragraphs[len(out) % len(paragraphs)])
        size += len(out[-1]) + 2
    return "\n\n".join(out)


# ---------------------------------------------------------------------------- graph


def article_ids(trig: Path) -> set[str]:
    ds = Dataset()
    ds.parse(trig, format="trig")
    prefix = str(article_graph_iri(""))
    return {unquote(str(g.identifier)[len(prefix):]) for g in ds.graphs() if str(g.identifier).startswith(prefix)}


def anchors(trig: Path) -> dict[str, list[tuple[int, int, str]]]:
    """article id → its text anchors (begin, end, anchored text), read from the graph file."""
    nif = vocabulary().namespaces["nif"]
    ds = Dataset(default_union=True)
    ds.parse(trig, format="trig")
    prefix = str(vocabulary().ids) + "article/"
    found: dict[str, list[tuple[int, int, str]]] = {}
    for node in set(ds.subjects(RDF.type, nif.OffsetBasedString)):
        article = unquote(str(ds.value(node, nif.referenceContext))[len(prefix):])
        found.setdefault(article, []).append(
            (int(ds.value(node, nif.beginIndex)), int(ds.value(node, nif.endIndex)), str(ds.value(node, nif.anchorOf))))
    return found


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def query_rows(trig: Path, name: str) -> list[dict]:
    result = runner.invoke(app, ["query", name, "--graph", str(trig), "--format", "csv"])
    assert result.exit_code == EXIT_OK, result.output
    return csv_rows(result.stdout)


def skipped_lines(output: str) -> list[str]:
    """The lines of the end-of-build summary that list skipped inputs."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("skipped "))
    return [line.strip() for line in lines[start + 1:] if line.startswith("  ")]


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ------------------------------------------------------------------- good inputs: 0


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """Unusual but readable articles, built through the CLI: (folder, graph file, CLI result)."""
    folder = tmp_path_factory.mktemp("good") / "in"
    folder.mkdir()
    (folder / "plain.txt").write_text(PASSAGE, encoding="utf-8")
    (folder / "pforms.txt").write_text(in_presentation_forms(PASSAGE), encoding="utf-8")
    (folder / "bidi.txt").write_text(with_bidi_controls(PASSAGE), encoding="utf-8")
    (folder / "bom.txt").write_bytes(b"\xef\xbb\xbf" + (SEEDS / "003_eb165dc4831d5914.txt").read_bytes())
    (folder / "cp1256.txt").write_bytes(seed_text("002_83f14baadfbd0921").encode("cp1256"))
    (folder / "html.txt").write_text(as_html(seed_text("004_6ff3a86bc4507b72")), encoding="utf-8")
    out = folder.parent / "good.trig"
    result = runner.invoke(app, ["build", str(folder), "--out", str(out)])
    return folder, out, result


def test_all_inputs_built_exits_0_and_shows_warnings(good):
    folder, out, result = good
    assert result.exit_code == EXIT_OK, result.output
    assert "skipped" not in result.output
    assert f"{folder / 'cp1256.txt'}: decoded as Windows-1256" in result.output
    assert f"{folder / 'html.txt'}: HTML markup stripped" in result.output
    assert article_ids(out) == {"plain", "pforms", "bidi", "bom", "cp1256", "html"}


def test_windows_1256_article_is_decoded_exactly(good):
    folder, out, _ = good
    article = read_article(folder / "cp1256.txt")
    assert article.text == seed_text("002_83f14baadfbd0921")
    with_entities = {r["article"] for r in query_rows(out, "entities")}
    assert "cp1256" in with_entities


def test_bom_is_not_part_of_the_text(good):
    folder, out, _ = good
    text = seed_text("003_eb165dc4831d5914")
    ds = Dataset(default_union=True)
    ds.parse(out, format="trig")
    stored = {str(h) for h in ds.objects(None, vocabulary().ekg.textHash)}
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() in stored   # the hash of the text without BOM
    assert read_article(folder / "bom.txt").text == text


def test_html_evidence_slices_the_cleaned_text(good):
    folder, out, _ = good
    cleaned = read_article(folder / "html.txt").text
    assert "<" not in cleaned and "&laquo;" not in cleaned and "«" in cleaned and "var p" not in cleaned
    rows = [r for r in query_rows(out, "who_did_what") if r["article"] == "html"]
    assert len(rows) >= 5
    for row in rows:
        assert row["evidence"] in cleaned
    spans = anchors(out)["html"]
    assert spans
    for begin, end, text in spans:
        assert cleaned[begin:end] == text


def test_presentation_forms_and_bidi_controls_give_the_same_entities(good):
    folder, out, _ = good
    # the files really are different bytes ...
    shaped = (folder / "pforms.txt").read_text(encoding="utf-8")
    assert sum("\ufb50" <= ch <= "\ufeff" for ch in shaped) > 0.5 * len(PASSAGE.replace(" ", ""))
    assert "\u200f" in (folder / "bidi.txt").read_text(encoding="utf-8")
    # ... read as the same text, so they yield the same entities and events as the plain passage
    for name in ("pforms", "bidi"):
        assert read_article(folder / f"{name}.txt").text == PASSAGE
    entities: dict[str, set] = {}
    for row in query_rows(out, "entities"):
        entities.setdefault(row["article"], set()).add((row["entity"], row["type"]))
    assert len(entities["plain"]) >= 4
    assert entities["pforms"] == entities["plain"] == entities["bidi"]
    events: dict[str, set] = {}
    for row in query_rows(out, "who_did_what"):
        events.setdefault(row["article"], set()).add((row["type"], row["agent_en"], row["place_en"], row["evidence"]))
    assert events["pforms"] == events["plain"] == events["bidi"] and events["plain"]


# -------------------------------------------------------------- bad inputs: 3 and 4


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """Good articles among every kind of bad input and a broken sidecar: (folder, graph, CLI result)."""
    folder = tmp_path_factory.mktemp("mixed") / "in"
    folder.mkdir()
    (folder / "plain.txt").write_text(PASSAGE, encoding="utf-8")
    (folder / "dated.txt").write_text("\n\n".join(seed_paragraphs()[5:8]), encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_text(" \n\t\n  \r\n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 16)
    (folder / "undecodable.txt").write_bytes("قال مصدر\n".encode() + b"\x81\x8d\x8e\x8f\x90\x9d\x9e" * 3 + "في دمشق".encode())
    # names that look like console markup are printed as they are (not eaten, no crash): see [/x] below
    (folder / "[red]draft.txt").write_bytes(b"\x00\x01\x02" * 40)
    (folder / "english.txt").write_text("The Syrian Democratic Forces said on Monday that they had "
                                        "captured the last Islamic State pocket near Baghouz.\n", encoding="utf-8")
    (folder / "articles.jsonl").write_text("\n".join([
        '{"id": "plain", "outlet": "Al-Liwaa", "published": "2019-02-13", "url": null}',
        '{"id": "dated", "published": "13/02/2019"}',
        'not json at all',
        '{"id": "ghost", "published": "2019-02-01"}',
        '{"id": "plain", "published": "2019-03-01"}',
        '{"id": "[/x]"}',
    ]) + "\n", encoding="utf-8")
    out = folder.parent / "mixed.trig"
    result = runner.invoke(app, ["build", str(folder), "--out", str(out)])
    return folder, out, result


def test_some_inputs_skipped_exits_3_and_the_rest_is_written(mixed):
    folder, out, result = mixed
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert article_ids(out) == {"plain", "dated"}
    assert "built 2 article(s)" in result.output


@pytest.mark.parametrize("name,reason", [
    ("empty.txt", "empty article"),
    ("blank.txt", "empty article"),
    ("binary.txt", "binary file, not text"),
    ("undecodable.txt:2", "not UTF-8 and not Windows-1256 Arabic text"),   # the line of the first bad byte
    ("english.txt", "not an Arabic article"),
    ("[red]draft.txt", "binary file, not text"),
    ("articles.jsonl:6", "unknown id '[/x]'"),
    ("articles.jsonl:2", "bad date '13/02/2019' (expected YYYY-MM-DD)"),
    ("articles.jsonl:3", "invalid JSON"),
    ("articles.jsonl:4", "unknown id 'ghost'"),
    ("articles.jsonl:5", "duplicate id 'plain' (first on line 1)"),
])
def test_summary_names_each_skipped_input_and_why(mixed, name, reason):
    folder, _, result = mixed
    listed = [line for line in skipped_lines(result.output) if line.startswith(f"{folder / name}: ")]
    assert len(listed) == 1, result.output
    assert reason in listed[0]


def test_summary_lists_nothing_else(mixed):
    _, _, result = mixed
    assert len(skipped_lines(result.output)) == 11
    assert "skipped 11 input(s)" in result.output


def test_sidecar_errors_keep_the_good_metadata(mixed):
    _, out, _ = mixed
    schema = vocabulary().namespaces["schema"]
    ds = Dataset(default_union=True)
    ds.parse(out, format="trig")
    published = {str(ds.value(a, schema.identifier)): ds.value(a, schema.datePublished)
                 for a in ds.subjects(RDF.type, schema.NewsArticle)}
    assert str(published["plain"]) == "2019-02-13"   # line 1, not the duplicate on line 5
    assert published["dated"] is None                 # its bad date is dropped, the article kept


def test_nothing_built_exits_4_and_keeps_the_previous_output(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "english.txt").write_text("Nothing in Arabic here at all.\n", encoding="utf-8")
    out = tmp_path / "g.trig"
    out.write_text("previous output\n", encoding="utf-8")
    result = runner.invoke(app, ["build", str(folder), "--out", str(out)])
    assert result.exit_code == EXIT_FAILED, result.output
    assert out.read_text(encoding="utf-8") == "previous output\n"
    assert f"nothing could be built: {out} left unchanged" in result.output
    assert len(skipped_lines(result.output)) == 2


@pytest.mark.parametrize("args", [
    ["build", "{tmp}/missing", "--out", "{tmp}/g.trig"],
    ["build", "{seeds}", "--out", "{tmp}/g.xyz"],
    ["build", "{seeds}"],
    ["build", "{seeds}", "--out", "{tmp}/g.trig", "--no-such-option"],
    ["query", "SELECT * WHERE { ?s ?p ?o }"],
])
def test_usage_errors_exit_2(tmp_path, args):
    result = runner.invoke(app, [a.replace("{tmp}", str(tmp_path)).replace("{seeds}", str(SEEDS)) for a in args])
    assert result.exit_code == EXIT_USAGE, result.output
    assert not (tmp_path / "g.trig").exists()


ODD_ID = "news\u2028x"                      # a file name with a line separator in it
ODD_OUTLET = "Al\u2028Liwaa\x1d\x85"        # scraped metadata: JSON "\u2028" and stray controls


def test_odd_characters_in_names_and_metadata_survive_every_output_format(tmp_path):
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / f"{ODD_ID}.txt").write_text(PASSAGE, encoding="utf-8")
    (folder / "lone.txt").write_text(PASSAGE, encoding="utf-8")
    (folder / "articles.jsonl").write_text(
        json.dumps({"id": ODD_ID, "outlet": ODD_OUTLET, "url": "http://example.org/a\u2029b"}) + "\n"
        + '{"id": "lone", "outlet": "bad\\ud800"}\n', encoding="utf-8")   # a lone surrogate from JSON
    trig = tmp_path / "odd.trig"
    result = runner.invoke(app, ["build", str(folder), "--out", str(trig)])
    assert result.exit_code in (EXIT_OK, EXIT_PARTIAL), result.output   # never a crash
    for suffix, fmt, ox_format in [(".trig", "trig", "TRIG"), (".nq", "nquads", "N_QUADS"), (".jsonld", "json-ld", None),
                                   (".ttl", "turtle", "TURTLE"), (".nt", "nt", "N_TRIPLES")]:
        out = trig if suffix == ".trig" else tmp_path / f"odd{suffix}"
        if suffix != ".trig":
            name = {".nq": "nquads", ".jsonld": "jsonld", ".ttl": "turtle", ".nt": "ntriples"}[suffix]
            exported = runner.invoke(app, ["export", "--graph", str(trig), "--format", name, "--out", str(out)])
            assert exported.exit_code == EXIT_OK, exported.output
        ds = Dataset(default_union=True)
        ds.parse(out, format=fmt)
        values = {str(o) for o in ds.objects()}
        assert ODD_OUTLET in values and ODD_ID in values, suffix
        if ox_format:
            assert len(list(ox.parse(path=str(out), format=getattr(ox.RdfFormat, ox_format)))) == len(ds), suffix


def test_a_file_name_that_is_not_utf8_is_skipped_with_its_bytes_shown(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ok.txt").write_text(PASSAGE, encoding="utf-8")
    raw = os.fsencode(folder) + b"/\xff\xfe-cp1256-name.txt"   # e.g. copied from an old Windows archive
    with open(raw, "wb") as handle:
        handle.write(PASSAGE.encode("utf-8"))
    out = tmp_path / "g.trig"
    result = runner.invoke(app, ["build", str(folder), "--out", str(out)])
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert article_ids(out) == {"ok"}
    assert skipped_lines(result.output) == [f"{folder}/\\xff\\xfe-cp1256-name.txt: file name is not valid UTF-8 (rename the file)"]


# ------------------------------------------------------------------------ long text


LONG_SIZES = (60_000, 240_000)   # characters; the pipeline is near-linear (README: long articles)


def test_very_long_article_is_read_in_one_linear_pass(tmp_path):
    text = long_article(1_700_000)          # > 3 MB of UTF-8 Arabic
    path = tmp_path / "long.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert path.stat().st_size > 3_000_000
    article = read_article(path)
    assert article.text == text
    assert article.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_long_articles_are_built(tmp_path):
    timings = []
    for size in LONG_SIZES:
        folder = tmp_path / f"long{size}"
        folder.mkdir()
        text = long_article(size)
        (folder / f"long{size}.txt").write_text(text, encoding="utf-8")
        out = tmp_path / f"long{size}.trig"
        started = time.perf_counter()
        result = runner.invoke(app, ["build", str(folder), "--out", str(out)])
        timings.append(time.perf_counter() - started)
        assert result.exit_code == EXIT_OK, result.output
        spans = anchors(out)[f"long{size}"]
        assert spans and all(text[b:e] == t for b, e, t in spans)
        assert max(e for _, e, _ in spans) > size // 2    # evidence from the whole article, not its start
    print(f"\nlong articles: {LONG_SIZES[0]} chars {timings[0]:.1f} s, {LONG_SIZES[1]} chars {timings[1]:.1f} s "
          f"(x{LONG_SIZES[1] / LONG_SIZES[0]:.0f} size → x{timings[1] / timings[0]:.1f} time)")


# ------------------------------------------------------------------- output safety


def small_folder(path: Path, n: int = 2) -> Path:
    """`n` short articles (two seed paragraphs each)."""
    path.mkdir(parents=True)
    paragraphs = seed_paragraphs()
    for i in range(n):
        (path / f"art{i}.txt").write_text("\n\n".join(paragraphs[2 * i + 1:2 * i + 3]), encoding="utf-8")
    return path


def test_atomic_write_keeps_the_old_file_when_the_writer_dies(tmp_path):
    target = tmp_path / "g.trig"
    target.write_bytes(b"old graph")

    def dies_halfway(tmp: Path) -> None:
        tmp.write_bytes(b"half a gra")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, dies_halfway)
    assert target.read_bytes() == b"old graph"
    assert temp_files(tmp_path) == []
    atomic_write(target, lambda tmp: tmp.write_bytes(b"new graph"))
    assert target.read_bytes() == b"new graph"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask   # not mkstemp's private 0600
    assert temp_files(tmp_path) == []


@pytest.fixture
def previous_output(tmp_path):
    """A folder of two articles and the graph file an earlier build made from the first one."""
    folder = small_folder(tmp_path / "in")
    out = tmp_path / "out" / "g.trig"
    first = tmp_path / "first"
    first.mkdir()
    (first / "art0.txt").write_bytes((folder / "art0.txt").read_bytes())
    assert runner.invoke(app, ["build", str(first), "--out", str(out)]).exit_code == EXIT_OK
    return folder, out, out.read_bytes()


def test_ctrl_c_in_the_middle_of_a_build_keeps_the_old_output(previous_output, monkeypatch):
    folder, out, before = previous_output
    real, calls = graph.build.article_triples, []

    def interrupted_after_the_first_article(record):
        calls.append(record.id)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(record)

    monkeypatch.setattr(graph.build, "article_triples", interrupted_after_the_first_article)
    result = runner.invoke(app, ["build", str(folder), "--out", str(out)])
    assert result.exit_code == EXIT_INTERRUPTED, result.output
    assert f"interrupted: {out} left unchanged" in result.output
    assert out.read_bytes() == before
    assert temp_files(out.parent) == []


def test_a_crash_while_writing_the_output_keeps_the_old_file(previous_output, monkeypatch):
    folder, out, before = previous_output
    real_write_text = Path.write_text

    def disk_full(self, data, *args, **kwargs):
        real_write_text(self, data[: len(data) // 2], *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full)
    result = runner.invoke(app, ["build", str(folder), "--out", str(out)])
    monkeypatch.undo()
    assert result.exit_code == EXIT_FAILED, result.output
    assert f"cannot write {out}" in result.output and "No space left on device" in result.output
    assert out.read_bytes() == before
    assert temp_files(out.parent) == []


def test_a_crash_in_one_article_skips_it_and_builds_the_rest(tmp_path, monkeypatch):
    folder = small_folder(tmp_path / "in", n=3)
    real = graph.build.article_triples

    def broken_for_art1(record):
        if record.id == "art1":
            raise RuntimeError("records the RDF writer cannot handle")
        return real(record)

    monkeypatch.setattr(graph.build, "article_triples", broken_for_art1)
    out = tmp_path / "g.trig"
    result = runner.invoke(app, ["build", str(folder), "--out", str(out)])
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert article_ids(out) == {"art0", "art2"}
    [line] = skipped_lines(result.output)
    assert line.startswith(f"{folder / 'art1.txt'}: cannot turn its records into RDF: RuntimeError")


def store_graphs(store: OxigraphStore) -> dict[str, set[str]]:
    """Every named graph of the store as a set of N-Quads lines."""
    graphs: dict[str, set[str]] = {}
    for quad in store.store:
        graphs.setdefault(str(quad.graph_name), set()).add(str(quad))
    return graphs


def test_interrupted_store_write_leaves_each_article_old_or_new(tmp_path, nlp, monkeypatch):
    folder = small_folder(tmp_path / "in", n=2)
    store_dir = tmp_path / "store"
    store = OxigraphStore(store_dir)
    assert build([folder], store, nlp=nlp).built == ["art0", "art1"]
    old = store_graphs(store)
    del store
    gc.collect()

    # both articles change: the next build must replace both graphs
    paragraphs = seed_paragraphs()
    for i in range(2):
        (folder / f"art{i}.txt").write_text("\n\n".join(paragraphs[10 + 2 * i:12 + 2 * i]), encoding="utf-8")
    fresh = OxigraphStore()
    build([folder], fresh, nlp=nlp)
    new = store_graphs(fresh)
    names = [str(article_graph_iri(f"art{i}").n3()) for i in range(2)]
    assert all(old[g] != new[g] for g in names)

    # Ctrl-C in the middle of converting the batch for the store
    total = sum(len(new[g]) for g in names)
    real, calls = graph.store._to_ox, []

    def interrupted(term):
        calls.append(1)
        if len(calls) == (3 * total) // 2:
            raise KeyboardInterrupt
        return real(term)

    store = OxigraphStore(store_dir)
    monkeypatch.setattr(graph.store, "_to_ox", interrupted)
    with pytest.raises(BuildInterrupted) as stopped:
        build([folder], store, nlp=nlp)
    monkeypatch.undo()
    assert calls, "the interruption happened while writing to the store"
    assert stopped.value.stored == []
    after = store_graphs(store)
    for g in names:
        assert after[g] in (old[g], new[g]), f"{g} is half-written"
    entities = entities_graph_iri().n3()
    assert after[entities] == old[entities]   # the batch's new entity descriptions went with it

    # the next build completes the job
    build([folder], store, nlp=nlp)
    done = store_graphs(store)
    assert all(done[g] == new[g] for g in names)


def test_real_ctrl_c_exits_130_and_leaves_file_and_store_intact(tmp_path):
    folder = small_folder(tmp_path / "in")
    out, store = tmp_path / "g.trig", tmp_path / "store"
    eventkg = [sys.executable, "-c", "from graph.cli import app; app()"]
    first = subprocess.run([*eventkg, "build", str(folder), "--out", str(out), "--store", str(store)],
                           capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert first.returncode == EXIT_OK, first.stderr
    before = out.read_bytes()
    old_hashes = {article_graph_iri(f"art{i}"): read_article(folder / f"art{i}.txt").sha256 for i in range(2)}
    (folder / "art0.txt").write_text("\n\n".join(seed_paragraphs()[12:14]), encoding="utf-8")   # changed
    (folder / "art1.txt").write_text("\n\n".join(seed_paragraphs()[14:16]), encoding="utf-8")

    # the build signals when it reaches the graph-writing step, then waits there for Ctrl-C
    marker = tmp_path / "reached"
    hook = textwrap.dedent(f"""
        import pathlib, signal, sys, time
        # Ctrl-C as a terminal delivers it: a child inherits an ignored SIGINT from the test run
        # when something earlier in the session ignored it, and then the signal would do nothing
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import graph.build
        real = graph.build.article_triples
        def waiting(record):
            pathlib.Path({str(marker)!r}).touch()
            # short sleeps: Linux may hand the SIGINT to a store thread, and then only the main
            # thread's next bytecode (not one long sleep) raises KeyboardInterrupt
            for _ in range(1200):
                time.sleep(0.1)
            return real(record)
        graph.build.article_triples = waiting
        from graph.cli import app
        sys.argv = ["eventkg", "build", {str(folder)!r}, "--out", {str(out)!r}, "--store", {str(store)!r}]
        app()
    """)
    proc = subprocess.Popen([sys.executable, "-c", hook], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the build never reached the graph-writing step"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == EXIT_INTERRUPTED, stderr
    assert "interrupted:" in stderr and "left unchanged" in stderr
    assert out.read_bytes() == before
    assert temp_files(tmp_path) == []
    # the store opens and still holds the previous versions of both articles
    assert OxigraphStore(store).article_hashes() == old_hashes
