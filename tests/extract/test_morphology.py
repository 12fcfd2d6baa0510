"""The optional camel-tools morphology component, on a morphology database made for the tests.

`data/mini_morph.db` is a hand-written database in camel-tools' text format (DEFINES, DEFAULTS,
ORDER, PREFIXES, SUFFIXES, STEMS and the three compatibility tables AB/BC/AC). It knows the
verbs قصف and اعتقل (perfect and imperfect, with و/ف, سـ and a few subject suffixes), the
masdars قصف and اعتقال, and the nouns غارة and قوة (singular, dual, plural). Every test runs
with sockets and DNS blocked, so camel-tools' catalogue download would fail loudly.
"""
from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import pytest

from extract.arabic import match_key
from extract.lexicon import DATA_DIR, load_lexicons
from extract.morphology import Morphology, MorphologyDataError, load_analyzer
from extract.pipeline import build_pipeline, process_article
from extract.reader import Article, ArticleMeta

MINI_DB = Path(__file__).parent / "data" / "mini_morph.db"
CAMEL_MODULES = ("camel_tools.data", "camel_tools.morphology")


class NetworkAttempt(OSError):
    """Raised by the blocked socket functions."""


def _block_network(patch, attempts: list[str]) -> None:
    def refuse(name):
        def blocked(*args, **kwargs):
            attempts.append(f"{name}{args[:2]}")
            raise NetworkAttempt(f"network access attempted: {name}")
        return blocked

    class NoSocket(socket.socket):
        def __init__(self, *args, **kwargs):
            refuse("socket")(*args)

    patch.setattr(socket, "socket", NoSocket)
    patch.setattr(socket, "create_connection", refuse("create_connection"))
    patch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))


@pytest.fixture(autouse=True)
def network_attempts(monkeypatch):
    """Blocks the network for the test; the list collects every attempt."""
    attempts: list[str] = []
    _block_network(monkeypatch, attempts)
    return attempts


@pytest.fixture(scope="module")
def morph_nlp():
    """The pipeline with the mini database, built with the network blocked."""
    attempts: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        _block_network(patch, attempts)
        nlp = build_pipeline(morphology_db=str(MINI_DB))
    assert attempts == []
    return nlp


def events(nlp, text):
    article = Article(id="t", path=None, text=text, sha256="0" * 64, meta=ArticleMeta(id="t"))
    return process_article(nlp, article).events


def labels(refs):
    return [r.label_en or r.label_ar for r in refs]


def test_component_sits_after_the_match_keys(morph_nlp, nlp):
    names = morph_nlp.pipe_names
    assert names.index("eventkg_morphology") == names.index("eventkg_match_keys") + 1
    assert "eventkg_morphology" not in nlp.pipe_names


def test_lemmas_and_keys_on_tokens(morph_nlp):
    vocabulary = load_lexicons(DATA_DIR).vocabulary
    doc = morph_nlp("قصفت الطائرات ويقصفان البلدة بعد غارات القوتين")
    tok = {t.text: t for t in doc}
    # a listed form keeps its own key; the lemma is still recorded
    assert (tok["قصفت"].norm_, tok["قصفت"].lemma_) == ("قصفت", "قصف")
    # an unlisted inflection (with a proclitic) takes its lemma's key
    assert match_key("ويقصفان") not in vocabulary
    assert (tok["ويقصفان"].norm_, tok["ويقصفان"].lemma_) == ("قصف", "قصف")
    # a plural the lexicon lists keeps its key; the lemma is the singular
    assert (tok["غارات"].norm_, tok["غارات"].lemma_) == ("غارات", "غارة")
    # unknown form whose lemma is a lexicon word but not a trigger word: lemma only
    assert match_key("القوتين") not in vocabulary and match_key("قوة") in vocabulary
    assert (tok["القوتين"].norm_, tok["القوتين"].lemma_) == (match_key("القوتين"), "قوة")
    # words the database does not know are left alone
    assert (tok["البلدة"].norm_, tok["البلدة"].lemma_) == (match_key("البلدة"), "")


@pytest.mark.parametrize("text,form,etype,certainty,targets,places", [
    # first person plural in a commander's words
    ("قال قائد في الجيش الحر: قصفنا مواقع قوات النظام في ريف حماة.", "قصفنا", "Shelling", "asserted",
     ["Syrian government forces"], ["Hama"]),
    # future: matched through the lemma, and still marked uncertain; التحالف makes it an airstrike
    ("وهدد التحالف بأنه سيقصف مواقع تنظيم داعش في دير الزور.", "سيقصف", "Airstrike", "uncertain",
     ["Islamic State"], ["Deir ez-Zor"]),
    # dual imperfect of اعتقل
    ("وأكد المرصد أن قوات النظام وحزب الله يعتقلان شبانا في بلدة مضايا.", "يعتقلان", "Arrest", "asserted",
     None, ["Madaya"]),
    # first person plural perfect of اعتقل
    ("وقال المتحدث باسم قوات سوريا الديمقراطية: اعتقلنا خمسة عناصر من تنظيم داعش في الرقة.", "اعتقلنا", "Arrest",
     "asserted", None, ["Raqqa"]),
], ids=["qasafna", "sayaqsif", "yatqilan", "itaqalna"])
def test_unlisted_inflection_is_an_event_only_with_the_database(morph_nlp, nlp, text, form, etype, certainty,
                                                               targets, places):
    assert match_key(form) not in load_lexicons(DATA_DIR).vocabulary, f"{form} is listed; pick another form"
    found = [e for e in events(morph_nlp, text) if e.trigger == form]
    assert [e.type for e in found] == [etype], [(e.type, e.trigger) for e in events(morph_nlp, text)]
    assert found[0].certainty == certainty
    if targets is not None:
        assert labels(found[0].targets) == targets
    assert labels(found[0].places) == places
    # the same pipeline without the component does not see the trigger
    assert [e for e in events(nlp, text) if e.trigger == form] == []


def test_no_database_is_a_no_op(nlp):
    component = Morphology(nlp, "eventkg_morphology", None, str(DATA_DIR))
    doc = nlp.make_doc("قصفنا مواقع التنظيم")
    nlp.get_pipe("eventkg_match_keys")(doc)
    before = [(t.norm_, t.lemma_) for t in doc]
    assert component(doc) is doc
    assert [(t.norm_, t.lemma_) for t in doc] == before == [("قصفنا", ""), ("مواقع", ""), ("تنظيم", "")]


def _assert_clear(exc: pytest.ExceptionInfo, path: Path, problem: str) -> None:
    message = str(exc.value)
    assert str(path) in message and problem in message
    assert "camel_data -i morphology-db-msa-r13" in message


def test_missing_database_fails_at_build_time(tmp_path):
    missing = tmp_path / "morphology.db"
    with pytest.raises(MorphologyDataError) as exc:
        build_pipeline(morphology_db=str(missing))
    _assert_clear(exc, missing, "file not found")


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(MorphologyDataError) as exc:
        load_analyzer(tmp_path)
    _assert_clear(exc, tmp_path, "not a file")


def test_not_a_database(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("this is not a morphology database\n", encoding="utf-8")
    with pytest.raises(MorphologyDataError) as exc:
        load_analyzer(bad)
    _assert_clear(exc, bad, "not a camel-tools morphology database")


def test_truncated_database(tmp_path):
    # an interrupted copy: camel-tools itself parses this without complaint and then finds nothing
    text = MINI_DB.read_text(encoding="utf-8")
    cut = tmp_path / "morphology.db"
    cut.write_text(text[: text.index("###TABLE AB###")], encoding="utf-8")
    with pytest.raises(MorphologyDataError) as exc:
        load_analyzer(cut)
    _assert_clear(exc, cut, "incomplete, no entries in TABLE AB, TABLE BC, TABLE AC")


def test_unreadable_database(tmp_path):
    latin = tmp_path / "morphology.db"
    latin.write_bytes(MINI_DB.read_text(encoding="utf-8").encode("cp1256"))
    with pytest.raises(MorphologyDataError) as exc:
        load_analyzer(latin)
    _assert_clear(exc, latin, "not UTF-8 text")


# -- camel-tools' data catalogue, as in a fresh process -------------------------------------

@pytest.fixture
def fresh_camel(monkeypatch, tmp_path):
    """camel-tools' data and morphology modules unloaded, HOME and $CAMELTOOLS_DATA in tmp_path.

    Yields the (empty) camel-tools data folder; the modules loaded before are put back after.
    """
    saved = {name: mod for name, mod in sys.modules.items() if name.startswith(CAMEL_MODULES)}
    for name in saved:
        del sys.modules[name]
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    data = tmp_path / "camel_data"
    data.mkdir()
    monkeypatch.setenv("CAMELTOOLS_DATA", str(data))
    yield data
    for name in [n for n in sys.modules if n.startswith(CAMEL_MODULES)]:
        del sys.modules[name]
    sys.modules.update(saved)
    import camel_tools
    for attr in ("data", "morphology"):
        if f"camel_tools.{attr}" in saved:
            setattr(camel_tools, attr, saved[f"camel_tools.{attr}"])
        elif hasattr(camel_tools, attr):
            delattr(camel_tools, attr)


def _analyzes(analyzer) -> bool:
    return [a["lex"] for a in analyzer.analyze("يقصفان")] == ["قَصَف"]


def test_no_catalogue_no_download(fresh_camel, network_attempts):
    analyzer = load_analyzer(MINI_DB)
    assert _analyzes(analyzer)
    assert network_attempts == []
    data = sys.modules["camel_tools.data"]
    assert data.CATALOGUE.components == {}
    # camel-tools is pointed back at its real folder, which we left untouched
    assert Path(data.CT_DATA_DIR) == fresh_camel and list(fresh_camel.iterdir()) == []
    assert os.environ["CAMELTOOLS_DATA"] == str(fresh_camel)


def test_after_a_failed_camel_tools_import(fresh_camel, network_attempts):
    # what camel-tools does on its own without a catalogue: go to the network
    with pytest.raises(Exception) as exc:
        import camel_tools.morphology.database  # noqa: F401
    assert type(exc.value).__name__ == "DownloaderError" and network_attempts
    network_attempts.clear()
    assert _analyzes(load_analyzer(MINI_DB))
    assert network_attempts == []


def test_installed_catalogue_is_used(fresh_camel, network_attempts):
    catalogue = {"version": "1.6", "packages": {}, "components": {"MorphologyDB": {
        "default": "calima-msa-r13", "datasets": {"calima-msa-r13": {"path": "morphology_db/calima-msa-r13"}}}}}
    (fresh_camel / "catalogue.json").write_text(json.dumps(catalogue), encoding="utf-8")
    assert _analyzes(load_analyzer(MINI_DB))
    assert network_attempts == []
    assert list(sys.modules["camel_tools.data"].CATALOGUE.components) == ["MorphologyDB"]


def test_broken_catalogue_is_named(fresh_camel, network_attempts):
    broken = fresh_camel / "catalogue.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(MorphologyDataError) as exc:
        load_analyzer(MINI_DB)
    _assert_clear(exc, broken, "fix or remove that file")
    assert network_attempts == []
