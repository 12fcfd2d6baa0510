"""Tests for extract.reader on real bytes written into tmp_path."""
from __future__ import annotations

import datetime
import hashlib
import pickle
import random
import shutil
from pathlib import Path

import pytest

from extract.reader import (
    Article,
    ArticleMeta,
    InputError,
    collect_inputs,
    read_article,
    read_sidecar,
)

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

SENTENCE = "أعلنت قوات سوريا الديموقراطية بدء هجومها على آخر جيب لتنظيم داعش في شرق سوريا."
HEADLINE = "«قسد» تبدأ الهجوم الأخير على داعش في سوريا"


def write(tmp_path: Path, data: bytes | str, name: str = "a.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ accepted inputs

ACCEPTED = [
    # id, bytes on disk, expected text, expected warnings
    ("utf8-plain", SENTENCE.encode("utf-8"), SENTENCE, ()),
    ("utf8-bom", b"\xef\xbb\xbf" + SENTENCE.encode("utf-8"), SENTENCE, ()),
    ("utf8-crlf", f"{HEADLINE}\r\n\r\n{SENTENCE}\r\n".encode(), f"{HEADLINE}\n\n{SENTENCE}\n", ()),
    ("utf8-lone-cr", f"{HEADLINE}\r{SENTENCE}".encode(), f"{HEADLINE}\n{SENTENCE}", ()),
    (
        "unicode-line-breaks",
        f"{HEADLINE}\u2028{SENTENCE}\u2029{HEADLINE}\x0c".encode(),
        f"{HEADLINE}\n{SENTENCE}\n{HEADLINE}\n",
        (),
    ),
    (
        "cp1256",
        f"{HEADLINE}\r\n{SENTENCE}".encode("cp1256"),
        f"{HEADLINE}\n{SENTENCE}",
        ("decoded as Windows-1256",),
    ),
    (
        "utf16-bom",
        SENTENCE.encode("utf-16"),
        SENTENCE,
        ("decoded as UTF-16",),
    ),
    (
        "html-entities-script",
        '<p>قال &quot;بالي&quot;</p><script>x()</script>'.encode(),
        'قال "بالي"',
        ("HTML markup stripped",),
    ),
    (
        "html-document",
        (
            "<!DOCTYPE html><html><head><title>عنوان الصفحة | الموقع</title>"
            "<style>p { color: red }</style></head><body>\n"
            f"<h1>{HEADLINE}</h1>\n<div>  قال   المتحدث<br>إن الهجوم بدأ &amp; انتهى</div>"
            "<!-- تعليق --><ul><li>دمشق</li><li>حلب&#x200F;</li></ul>"
            "<p>الرقم&nbsp;5</p></body></html>"
        ).encode(),
        f"{HEADLINE}\n\nقال المتحدث\nإن الهجوم بدأ & انتهى\n\nدمشق\nحلب\n\nالرقم\u00a05",
        ("HTML markup stripped",),
    ),
    (
        "html-unclosed-title",
        "<html><head><title>عنوان<body><p>قال المتحدث</p></body>".encode(),
        "قال المتحدث",
        ("HTML markup stripped",),
    ),
    (
        "html-self-closing-br",
        "سطر أول<br/>سطر ثان<BR />سطر ثالث".encode(),
        "سطر أول\nسطر ثان\nسطر ثالث",
        ("HTML markup stripped",),
    ),
    (
        # stray '<' and unfinished tags are text; comments and attributes vanish
        "html-malformed",
        '<p>قال <a href="x/">المتحدث</a> إن 3 < 5 <!-- تعليق --> والعدد<5 <b</p>'.encode(),
        "قال المتحدث إن 3 < 5 والعدد<5 <b",
        ("HTML markup stripped",),
    ),
    (
        "html-unclosed-script-swallows-rest",
        "<p>قال المتحدث</p><script>if (a < b) {".encode(),
        "قال المتحدث",
        ("HTML markup stripped",),
    ),
    (
        # lam-alef ligature, and "سلام" spelt in isolated/initial/medial/final forms
        "presentation-forms",
        "\ufefb \ufeb3\ufee0\ufe8e\ufee1".encode(),
        "لا سلام",
        (),
    ),
    (
        "bidi-and-zero-width",
        "\u202bقال\u200f المتحدث\u200e \u2066دمشق\u2069\u061c\u200b \ufeffحلب\u202c".encode(),
        "قال المتحدث دمشق حلب",
        (),
    ),
    (
        "ctrl-z-at-end",
        SENTENCE.encode("utf-8") + b"\x1a",
        SENTENCE,
        ("removed 1 control character(s)",),
    ),
    (
        # digits, Latin punctuation and a short English name are left alone
        "mixed-kept-as-is",
        "قال مسؤول في SDF إن 1,500 مقاتل (تقريبا) استسلموا: ٢٠١٩!".encode(),
        "قال مسؤول في SDF إن 1,500 مقاتل (تقريبا) استسلموا: ٢٠١٩!",
        (),
    ),
]


@pytest.mark.parametrize(
    ("data", "expected", "warnings"),
    [case[1:] for case in ACCEPTED],
    ids=[case[0] for case in ACCEPTED],
)
def test_read_article_accepts(tmp_path, data, expected, warnings):
    path = write(tmp_path, data, "007_abc.txt")
    article = read_article(path)
    assert isinstance(article, Article)
    assert article.text == expected
    assert article.warnings == warnings
    assert article.id == "007_abc"
    assert article.path == path
    assert article.sha256 == sha(expected)
    assert article.meta == ArticleMeta(id="007_abc")
    # Offsets are meaningful: "\n" is the only line break, so line-based tools agree.
    assert len(article.text.splitlines()) == article.text.count("\n") + (not article.text.endswith("\n"))


def test_presentation_forms_compare_equal_to_normal_word(tmp_path):
    normal = write(tmp_path, "قال إن السلام قريب", "normal.txt")
    # Same words, every letter in a presentation form (initial/medial/final/isolated).
    forms = write(
        tmp_path,
        "\ufed7\ufe8e\ufedd \ufe87\ufee6 \ufe8d\ufedf\ufeb4\ufefc\ufee1 \ufed7\ufeae\ufef3\ufe90",
        "forms.txt",
    )
    assert read_article(forms).text == read_article(normal).text
    assert read_article(forms).sha256 == read_article(normal).sha256


def test_presentation_forms_only_fold_arabic_not_digits_or_punctuation(tmp_path):
    # Full NFKC would turn "²" into "2", "…" into "...", and fullwidth "１" into "1".
    text = "قال المتحدث² … ١\ufefb \uff11"
    article = read_article(write(tmp_path, text))
    assert article.text == "قال المتحدث² … ١لا \uff11"


def test_cp1256_exact_bytes(tmp_path):
    # "قسد" in Windows-1256 is the bytes Þ Ó Ï; in UTF-8 these are invalid.
    data = "قالت «قسد» إن المعركة انتهت".encode("cp1256")
    assert data[6:9] == b"\xde\xd3\xcf"
    article = read_article(write(tmp_path, data))
    assert article.text == "قالت «قسد» إن المعركة انتهت"
    assert article.warnings == ("decoded as Windows-1256",)


# ------------------------------------------------------------------ rejected inputs


def _random_high_bytes(n: int = 4000) -> bytes:
    rnd = random.Random(1256)
    return bytes(rnd.randrange(0x80, 0x100) for _ in range(n))


REJECTED = [
    # id, bytes on disk, expected reason (prefix), expected line
    ("empty", b"", "empty article", None),
    ("whitespace-only", b"  \n\t\r\n   \n", "empty article", None),
    ("bom-only", b"\xef\xbb\xbf\n", "empty article", None),
    ("invisible-only", "\u200f\u200e\n\u200b".encode(), "empty article", None),
    ("html-script-only", b"<script>var x = 1;</script>", "empty article", None),
    ("binary-nul", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file, not text", None),
    ("nul-inside-arabic", SENTENCE.encode() + b"\x00" + SENTENCE.encode(), "binary file, not text", None),
    ("many-controls", b"\x01\x02\x03\x04\x05abc\x06\x07\x08" * 20, "binary file, not text", None),
    (
        "random-high-bytes",
        _random_high_bytes(),
        "not UTF-8 and not Windows-1256 Arabic text",
        1,
    ),
    (
        # Latin-1 French: not UTF-8, and its Windows-1256 reading is not Arabic
        "latin1-french",
        "Le président a déclaré que l'offensive était terminée.".encode("latin-1"),
        "not UTF-8 and not Windows-1256 Arabic text",
        1,
    ),
    (
        # UTF-8 with one corrupt byte on line 3: reported with that line
        "utf8-corrupt-line-3",
        f"{HEADLINE}\n\n{SENTENCE}".encode()[:-6] + b"\xff" + SENTENCE.encode()[-5:],
        "not UTF-8 and not Windows-1256 Arabic text",
        3,
    ),
    (
        "english-only",
        b"The SDF announced the start of its final assault on the last IS pocket in Syria.",
        "not an Arabic article (0% Arabic letters)",
        None,
    ),
    (
        "mostly-english",
        ("The Syrian Democratic Forces said the battle is over. " * 5 + "قسد").encode(),
        "not an Arabic article (",
        None,
    ),
    ("digits-only", b"2019 03 02\n12345", "not an Arabic article (0% Arabic letters)", None),
]


@pytest.mark.parametrize(
    ("data", "reason", "line"),
    [case[1:] for case in REJECTED],
    ids=[case[0] for case in REJECTED],
)
def test_read_article_rejects(tmp_path, data, reason, line):
    path = write(tmp_path, data, "bad_input.txt")
    with pytest.raises(InputError) as info:
        read_article(path)
    err = info.value
    assert err.path == path
    assert err.reason.startswith(reason)
    assert err.line == line
    assert "bad_input.txt" in str(err)
    where = f"{path}:{line}" if line is not None else f"{path}"
    assert str(err) == f"{where}: {err.reason}"


def test_non_arabic_reports_percentage(tmp_path):
    # 4 Arabic letters among 4 + 36 letters = 10%
    path = write(tmp_path, "abcdefghij abcdefghij abcdefghij abcdef قسدا")
    with pytest.raises(InputError, match=r"not an Arabic article \(10% Arabic letters\)"):
        read_article(path)


@pytest.mark.parametrize("make", [lambda p: p / "missing.txt", lambda p: p], ids=["missing", "directory"])
def test_read_article_unreadable(tmp_path, make):
    with pytest.raises(InputError, match="cannot read file"):
        read_article(make(tmp_path))


def test_meta_is_attached_and_must_match_stem(tmp_path):
    path = write(tmp_path, SENTENCE, "x1.txt")
    meta = ArticleMeta(id="x1", outlet="عنب بلدي", published=datetime.date(2019, 3, 2))
    assert read_article(path, meta).meta is meta
    with pytest.raises(ValueError):
        read_article(path, ArticleMeta(id="other"))


def test_input_error_str_and_pickle(tmp_path):
    err = InputError(tmp_path / "articles.jsonl", "missing id", line=4)
    assert str(err) == f"{tmp_path}/articles.jsonl:4: missing id"
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.path, copy.line, copy.reason) == (err.path, 4, "missing id")
    assert str(InputError("a.txt", "empty article")) == "a.txt: empty article"


# ------------------------------------------------------------------ large inputs


FIVE_MB = 5_000_000
BIG = [
    # id, one repeated unit as written, its encoding, wrapper, the unit cleaned, joiner
    ("plain", f"{HEADLINE}\r\n{SENTENCE} \u200f\ufefb\r\n", "utf-8", "{}", f"{HEADLINE}\n{SENTENCE} لا\n", ""),
    ("html", f"<p>{HEADLINE}</p>", "utf-8", "<html><body>{}</body></html>", HEADLINE, "\n\n"),
    ("cp1256", f"{HEADLINE}\r\n{SENTENCE}\r\n", "cp1256", "{}", f"{HEADLINE}\n{SENTENCE}\n", ""),
    # html.parser alone is quadratic on unfinished tags like this `<a`
    ("html-malformed", f"<p>{HEADLINE} <a {SENTENCE}</p>", "utf-8", "{}", f"{HEADLINE} <a {SENTENCE}", "\n\n"),
]


@pytest.mark.parametrize(
    ("unit", "encoding", "wrapper", "cleaned", "joiner"),
    [case[1:] for case in BIG],
    ids=[case[0] for case in BIG],
)
def test_five_megabyte_article(tmp_path, unit, encoding, wrapper, cleaned, joiner):
    n = FIVE_MB // len(unit.encode(encoding)) + 1
    data = wrapper.format(unit * n).encode(encoding)
    assert len(data) >= FIVE_MB
    article = read_article(write(tmp_path, data))
    expected = joiner.join([cleaned] * n)
    assert len(article.text) == len(expected)
    assert article.text == expected


# ------------------------------------------------------------------ sidecar

SIDECAR_LINES = [
    '{"id": "good", "outlet": "Al-Liwaa", "published": "2019-03-02", "url": "https://x.example/1"}',  # 1
    '{"id": "broken", "outlet": ',  # 2 bad JSON
    "",  # 3 blank: ignored
    '{"outlet": "SANA"}',  # 4 missing id
    '{"id": "feb30", "outlet": "عنب بلدي", "published": "2019-02-30"}',  # 5 impossible date
    '{"id": "good", "outlet": "Other"}',  # 6 duplicate
    '["not", "an", "object"]',  # 7
    '{"id": 17}',  # 8 id not a string
    '{"id": "nulls", "outlet": null, "published": null, "url": null, "extra": [1, 2]}',  # 9
    '{"id": "compact-date", "published": "20190302"}',  # 10 not YYYY-MM-DD
    '{"id": "minimal"}',  # 11
    '   ',  # 12 blank
    '{"id": "ghost", "published": "2019-01-05"}',  # 13 unknown in collect_inputs
]


@pytest.fixture
def sidecar(tmp_path) -> Path:
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(SIDECAR_LINES) + "\n", encoding="utf-8")
    return path


def test_read_sidecar_records(sidecar):
    metas, _ = read_sidecar(sidecar)
    assert set(metas) == {"good", "feb30", "nulls", "compact-date", "minimal", "ghost"}
    assert metas["good"] == ArticleMeta(
        id="good", outlet="Al-Liwaa", published=datetime.date(2019, 3, 2), url="https://x.example/1"
    )
    # the bad date is reported, the record kept without a date
    assert metas["feb30"] == ArticleMeta(id="feb30", outlet="عنب بلدي", published=None)
    assert metas["nulls"] == ArticleMeta(id="nulls")
    assert metas["compact-date"] == ArticleMeta(id="compact-date")
    assert metas["minimal"] == ArticleMeta(id="minimal")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (2, "invalid JSON"),
        (4, "missing id"),
        (5, "impossible date '2019-02-30'"),
        (6, "duplicate id 'good' (first on line 1)"),
        (7, "expected a JSON object, got list"),
        (8, "id must be a string, got int"),
        (10, "bad date '20190302' (expected YYYY-MM-DD)"),
    ],
)
def test_read_sidecar_errors(sidecar, line, reason):
    _, errors = read_sidecar(sidecar)
    by_line = {e.line: e for e in errors}
    assert by_line[line].reason.startswith(reason)
    assert by_line[line].path == sidecar
    assert str(by_line[line]).startswith(f"{sidecar}:{line}: ")


def test_read_sidecar_reports_exactly_the_bad_lines(sidecar):
    _, errors = read_sidecar(sidecar)
    assert [e.line for e in errors] == [2, 4, 5, 6, 7, 8, 10]


@pytest.mark.parametrize(
    ("content", "lines"),
    [
        (b"", []),
        (b"\xef\xbb\xbf" + b'{"id": "a"}\r\n{"id": "b"}\r\n', []),
        (b'{"id": "a"}\n\xff\xfe\n{"id": "b", "outlet": 5}', [2, 3]),
        (b'{"id": "a", "published": 20190302}', [1]),
    ],
    ids=["empty-file", "bom-crlf", "bad-utf8-and-non-string-outlet", "numeric-date"],
)
def test_read_sidecar_edge_cases(tmp_path, content, lines):
    path = tmp_path / "articles.jsonl"
    path.write_bytes(content)
    _, errors = read_sidecar(path)
    assert [e.line for e in errors] == lines


def test_read_sidecar_missing_file_is_reported_not_raised(tmp_path):
    metas, errors = read_sidecar(tmp_path / "articles.jsonl")
    assert metas == {}
    assert len(errors) == 1 and errors[0].line is None


# ------------------------------------------------------------------ collect_inputs


def test_collect_inputs_folder_and_file(tmp_path, sidecar):
    folder = tmp_path
    for stem in ("good", "feb30", "nulls", "minimal", "no-meta"):
        write(folder, SENTENCE, f"{stem}.txt")
    write(folder, "not collected", "notes.md")
    write(folder, b"\x00\x01", ".hidden.txt")
    other = tmp_path / "elsewhere"
    other.mkdir()
    lone = write(other, SENTENCE, "lone.txt")

    paths, metas, errors = collect_inputs([folder, lone, folder / "good.txt"])

    assert paths == sorted(
        [folder / f"{s}.txt" for s in ("good", "feb30", "nulls", "minimal", "no-meta")] + [lone]
    )
    assert metas["good"].outlet == "Al-Liwaa"
    assert metas["feb30"].published is None
    assert set(metas) == {"good", "feb30", "nulls", "minimal"}  # no file for compact-date/ghost
    reasons = {(e.line, e.reason.split(" (")[0]) for e in errors}
    assert (10, "unknown id 'compact-date'") in reasons
    assert (13, "unknown id 'ghost'") in reasons
    assert (6, "duplicate id 'good'") in reasons
    assert all(e.path == sidecar for e in errors)


@pytest.mark.parametrize(
    ("name", "setup", "reason"),
    [
        ("missing", lambda p: p / "nope.txt", "no such file or folder"),
        ("not-txt", lambda p: (p / "a.json").write_text("{}") and p / "a.json", "not a .txt file"),
        ("empty-folder", lambda p: (p / "empty").mkdir() or p / "empty", "folder has no .txt files"),
    ],
)
def test_collect_inputs_bad_paths(tmp_path, name, setup, reason):
    path = setup(tmp_path)
    paths, metas, errors = collect_inputs([path])
    assert paths == [] and metas == {}
    assert [(e.path, e.reason) for e in errors] == [(path, reason)]


def test_collect_inputs_same_folder_twice_reports_once(tmp_path, sidecar):
    write(tmp_path, SENTENCE, "good.txt")
    once = collect_inputs([tmp_path])
    twice = collect_inputs([tmp_path, tmp_path / ".", tmp_path / "good.txt"])
    assert twice[0] == once[0] == [tmp_path / "good.txt"]
    assert [str(e) for e in twice[2]] == [str(e) for e in once[2]]


def test_collect_inputs_duplicate_stem_in_two_folders(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    first, second = write(a, SENTENCE, "same.txt"), write(b, SENTENCE, "same.txt")
    paths, _, errors = collect_inputs([a, b])
    assert paths == [first]
    assert len(errors) == 1 and errors[0].path == second
    assert errors[0].reason.startswith("duplicate article id 'same'")


# ------------------------------------------------------------------ real seeds


def test_real_seeds(tmp_path):
    for src in [*SEEDS.glob("*.txt"), SEEDS / "articles.jsonl"]:
        shutil.copy(src, tmp_path / src.name)

    paths, metas, errors = collect_inputs([tmp_path])
    assert errors == []
    assert len(paths) == 5
    assert [p.name for p in paths] == sorted(p.name for p in SEEDS.glob("*.txt"))
    meta = metas["002_83f14baadfbd0921"]
    assert meta.outlet == "Al-Liwaa"
    assert meta.published == datetime.date(2019, 3, 2)

    for path in paths:
        article = read_article(path, metas.get(path.stem))
        again = read_article(SEEDS / path.name, metas.get(path.stem))
        assert article.warnings == ()
        # The seeds are clean UTF-8, so cleaning is the identity and the hash is the file's.
        assert article.text == path.read_text(encoding="utf-8")
        assert article.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() == again.sha256
        assert article.meta.id == article.id == path.stem
