"""Reading article inputs: bytes on disk → one clean `Article.text` that every offset indexes.

The cleaned text is the single source of truth for character offsets in the whole system:
the evidence of any later mention is `article.text[begin:end]`. Cleaning therefore happens
once, here, and only does things that are safe for Arabic news:

* decoding: UTF-8 (BOM stripped), UTF-16 with a BOM, or — for old Arabic archives —
  Windows-1256, accepted only when the result is plausibly Arabic;
* HTML: tags stripped with the stdlib parser, entities unescaped, block tags → newlines;
* Arabic presentation forms (U+FB50–U+FDFF, U+FE70–U+FEFF) folded to normal letters one
  character at a time (NFKC of the whole text would also rewrite digits and punctuation);
* bidi controls and zero-width characters removed, stray control characters removed;
* every line break (``\\r\\n``, ``\\r``, U+2028, ...) becomes ``\\n``, so that
  `str.splitlines()` breaks only at ``\\n`` and line-based tools agree with offsets.

Every step is a `str.translate`, a regex, a `Counter` or a list join, so multi-megabyte
inputs are processed in linear time.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

__all__ = [
    "ArticleMeta",
    "Article",
    "InputError",
    "read_article",
    "read_sidecar",
    "collect_inputs",
    "SIDECAR_NAME",
]

SIDECAR_NAME = "articles.jsonl"

# Below this share of Arabic letters among all letters a text is not an Arabic article.
MIN_ARABIC_LETTER_SHARE = 0.20
# More than this share of control bytes means the file is not text at all.
MAX_CONTROL_BYTE_SHARE = 0.10
# A Windows-1256 decoding is believed only if (nearly) all non-ASCII characters are Arabic
# or the typographic punctuation Arabic text uses; random high bytes decode to a mix of
# Arabic, Latin-1 letters and symbols (©, ±, µ, ...) and fail this.
MIN_CP1256_ARABIC_SHARE = 0.90

WARN_CP1256 = "decoded as Windows-1256"
WARN_UTF16 = "decoded as UTF-16"
WARN_HTML = "HTML markup stripped"


@dataclass(frozen=True)
class ArticleMeta:
    """Metadata of one article, usually from the folder's `articles.jsonl` sidecar."""

    id: str  # file stem
    outlet: str | None = None  # English or Arabic outlet name as in the sidecar
    published: datetime.date | None = None
    url: str | None = None


@dataclass(frozen=True)
class Article:
    """One article, cleaned. All character offsets in the system index into `text`."""

    id: str  # file stem
    path: Path
    text: str  # cleaned text
    sha256: str  # hex sha256 of `text` encoded UTF-8
    meta: ArticleMeta
    warnings: tuple[str, ...] = ()  # e.g. "decoded as Windows-1256"


class InputError(Exception):
    """A problem with one input file (or one line of it), fit to show to the user.

    `str(err)` is ``"<path>:<line>: <reason>"``, or ``"<path>: <reason>"`` without a line.
    `line` is keyword-only so that a swapped positional call fails loudly.
    """

    def __init__(self, path: Path | str, reason: str, *, line: int | None = None):
        self.path = Path(path)
        self.line = line
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else f"{self.path}"
        return f"{where}: {self.reason}"

    def __repr__(self) -> str:
        return f"InputError({str(self.path)!r}, {self.reason!r}, line={self.line!r})"

    def __reduce__(self):
        # Exceptions pickle via their args; keep `line` across process pools.
        return (_make_input_error, (str(self.path), self.reason, self.line))


def _make_input_error(path: str, reason: str, line: int | None) -> InputError:
    return InputError(path, reason, line=line)


# ---------------------------------------------------------------------------- tables

_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_NON_CONTROL_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)

# Line breaks Python's str.splitlines() knows (besides \n and \r\n, handled first).
_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_LINE_TABLE = str.maketrans({ch: "\n" for ch in _LINE_BREAKS})

_BIDI_AND_ZERO_WIDTH = (
    "\u200e\u200f"  # LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
    "\u061c"  # Arabic letter mark
    "\u200b"  # zero-width space
    "\ufeff"  # BOM / zero-width no-break space inside text
)


def _presentation_form_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for lo, hi in ((0xFB50, 0xFDFF), (0xFE70, 0xFEFF)):
        for cp in range(lo, hi + 1):
            folded = unicodedata.normalize("NFKC", chr(cp))
            if folded != chr(cp):
                table[cp] = folded
    return table


# One table for the character-level cleaning: presentation forms folded, invisible
# formatting removed. Applied after line breaks are normalised.
_CLEAN_TABLE: dict[int, str | None] = _presentation_form_table()
_CLEAN_TABLE.update({ord(ch): None for ch in _BIDI_AND_ZERO_WIDTH})

# C0 (but tab and newline), DEL and C1 controls left after line-break normalisation.
_CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]+")

# Only searched for (cheap), so the slower dict-based translate runs only when needed.
_LINE_BREAK_RE = re.compile(f"[{_LINE_BREAKS}]")
_CLEAN_CHARS_RE = re.compile("[" + "".join(map(chr, sorted(_CLEAN_TABLE))) + "]")

_ARABIC_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF))


def _is_arabic(ch: str) -> bool:
    return any(lo <= ord(ch) <= hi for lo, hi in _ARABIC_RANGES)


# Windows-1256 bytes that decode to Arabic script or to the typographic characters
# Arabic text uses; and the non-ASCII bytes that are not (NBSP) whitespace.
_CP1256_TYPOGRAPHIC = set("«»–—‘’‚“”„•…\u200c\u200d\u200e\u200f\u00ad°×÷")
_CP1256_ARABIC_BYTES = bytes(
    b for b in range(0x80, 0x100)
    if _is_arabic(c := bytes([b]).decode("cp1256")) or c in _CP1256_TYPOGRAPHIC
)
_NOT_CP1256_ARABIC_BYTES = bytes(b for b in range(256) if b not in _CP1256_ARABIC_BYTES)
_ASCII_AND_NBSP_BYTES = bytes([*range(0x80), 0xA0])


_HTML_HINT_RE = re.compile(
    r"</?(?:!doctype|html|head|body|p|div|br|span|a|li|ul|ol|h[1-6]|table|tr|td|th"
    r"|script|style|meta|title|article|section|strong|em|b|i|img)\b[^<>]*>",
    re.IGNORECASE,
)


# ----------------------------------------------------------------------------- HTML


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML document as a list of pieces."""

    # Blocks are separated by a blank line (their start and end both break the line) ...
    BLOCK = frozenset(
        "p div h1 h2 h3 h4 h5 h6 ul ol dl table thead tbody tfoot "
        "blockquote pre hr section article header footer aside nav figure figcaption "
        "main address form fieldset caption body html".split()
    )
    # ... list items, rows and <br> only start a new line.
    LINE = frozenset({"br", "li", "tr", "dt", "dd"})
    CELL = frozenset({"td", "th"})
    # Not text a reader sees; <title> would duplicate the headline. (<script>/<style> are
    # already gone, see `_drop_raw_text_and_comments`.)
    SKIP = frozenset({"script", "style", "noscript", "template", "title"})
    PRE = frozenset({"pre", "textarea"})
    _WS = re.compile(r"[ \t\n\r\f]+")  # HTML whitespace: NBSP is not collapsed

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities unescaped via html.unescape
        self.pieces: list[str] = []
        self._skip = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "body":  # an unclosed <title> or <noscript> must not hide the article
            self._skip = 0
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.PRE:
            self._pre += 1
        if tag in self.BLOCK or tag in self.LINE:
            self.pieces.append("\n")
        elif tag in self.CELL:
            self.pieces.append(" ")

    def handle_startendtag(self, tag: str, attrs) -> None:
        # <br/>: one break, and never opens a skipped region.
        if tag in self.BLOCK or tag in self.LINE:
            self.pieces.append("\n")
        elif tag in self.CELL:
            self.pieces.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.PRE:
            self._pre = max(0, self._pre - 1)
        if tag in self.BLOCK:
            self.pieces.append("\n")
        elif tag in self.CELL:
            self.pieces.append(" ")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.pieces.append(data if self._pre else self._WS.sub(" ", data))


# html.parser rescans from every '<' that starts an unfinished construct (`<a` without
# '>', `<!--` without '-->', `</`, `<?` ...), which is quadratic on malformed input. So the
# markup is first rewritten, in one linear pass, into a form it parses in one go: only
# attribute-free `<tag>`, `</tag>` and `<tag/>`, with every other '<' escaped.
_RAW_TEXT_START_RE = re.compile(r"<(script|style)(?=[\s/>])", re.IGNORECASE)
_RAW_TEXT_END_RE = {
    name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in ("script", "style")
}
_MARKUP_RE = re.compile(
    r"<(?P<slash>/?)(?P<name>[A-Za-z][A-Za-z0-9:-]*)(?=[\s/>])(?P<rest>[^<>]*)>"  # tag
    r"|<[!?][^<>]*>"  # doctype, processing instruction, CDATA marker, stray comment end
    r"|<"  # anything else is text
)


def _drop_raw_text_and_comments(text: str) -> str:
    """Remove comments and <script>/<style> elements with their content, linearly."""
    out: list[str] = []
    pos = 0
    # The next candidates are remembered, so no stretch of text is searched twice.
    comment = text.find("<!--")
    raw = _RAW_TEXT_START_RE.search(text)
    while comment >= 0 or raw is not None:
        if raw is None or 0 <= comment < raw.start():
            out.append(text[pos:comment])
            end = text.find("-->", comment + 4)
            if end < 0:  # unclosed comment: hides the rest, as in browsers
                return "".join(out)
            pos = end + 3
        else:
            out.append(text[pos : raw.start()])
            end_match = _RAW_TEXT_END_RE[raw.group(1).lower()].search(text, raw.end())
            if end_match is None:  # unclosed <script>: swallows the rest, as in browsers
                return "".join(out)
            pos = end_match.end()
        if 0 <= comment < pos:
            comment = text.find("<!--", pos)
        if raw is not None and raw.start() < pos:
            raw = _RAW_TEXT_START_RE.search(text, pos)
    out.append(text[pos:])
    return "".join(out)


def _normalise_markup(match: re.Match[str]) -> str:
    name = match.group("name")
    if name is None:
        return "&lt;" if match.group(0) == "<" else ""
    self_closing = not match.group("slash") and match.group("rest").rstrip().endswith("/")
    return f"<{match.group('slash')}{name.lower()}{'/' if self_closing else ''}>"


def _strip_html(text: str) -> str:
    text = _MARKUP_RE.sub(_normalise_markup, _drop_raw_text_and_comments(text))
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    out = "".join(parser.pieces)
    out = re.sub(r"[ \t]*\n[ \t]*", "\n", out)  # no spaces around line breaks
    out = re.sub(r"\n{3,}", "\n\n", out)  # at most one blank line between blocks
    return out.strip()


# --------------------------------------------------------------------------- helpers


def _arabic_letter_share(text: str) -> float:
    """Share of Arabic letters among all letters (0.0 without letters), in one C pass."""
    letters = arabic = 0
    for ch, n in Counter(text).items():
        if ch.isalpha():
            letters += n
            if _is_arabic(ch):
                arabic += n
    return arabic / letters if letters else 0.0


def _plausible_cp1256_arabic(data: bytes) -> bool:
    """Whether `data`, read as Windows-1256, is Arabic: its non-ASCII bytes nearly all
    decode to Arabic script or Arabic typography. Random bytes give ~60%, Latin-1 ~0%."""
    n_high = len(data.translate(None, _ASCII_AND_NBSP_BYTES))
    n_arabic = len(data.translate(None, _NOT_CP1256_ARABIC_BYTES))
    return n_high > 0 and n_arabic >= MIN_CP1256_ARABIC_SHARE * n_high


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(path: Path, data: bytes, warnings: list[str]) -> str:
    """Bytes → str per the module rules; raises InputError for binary or unknown encodings."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 text is full of NUL bytes, so it must be recognised before the binary check.
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(path, "binary file, not text") from None
        warnings.append(WARN_UTF16)
        if "\x00" in text:  # e.g. UTF-32, whose BOM starts like UTF-16's
            raise InputError(path, "binary file, not text")
        return text

    if b"\x00" in data:
        raise InputError(path, "binary file, not text")
    n_control = len(data.translate(None, _NON_CONTROL_BYTES))
    if n_control > MAX_CONTROL_BYTE_SHARE * len(data):
        raise InputError(path, "binary file, not text")

    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as err:
        first_bad = bom + err.start

    if _plausible_cp1256_arabic(data):
        # Every byte has a Windows-1256 character, so this cannot fail.
        warnings.append(WARN_CP1256)
        return data.decode("cp1256")
    raise InputError(
        path, "not UTF-8 and not Windows-1256 Arabic text", line=_line_of(data, first_bad)
    )


def _normalise_line_breaks(text: str) -> str:
    text = text.replace("\r\n", "\n")
    return text.translate(_LINE_TABLE) if _LINE_BREAK_RE.search(text) else text


def _clean(text: str, warnings: list[str]) -> str:
    text = _normalise_line_breaks(text)
    if _HTML_HINT_RE.search(text):
        text = _strip_html(text)
        warnings.append(WARN_HTML)
        # Entities may have produced line-break characters of their own.
        text = _normalise_line_breaks(text)
    if _CLEAN_CHARS_RE.search(text):
        text = text.translate(_CLEAN_TABLE)
    # Stray controls (e.g. the DOS end-of-file mark ^Z) are not text; a large share
    # already made the file "binary".
    n_before = len(text)
    text = _CONTROL_CHARS_RE.sub("", text)
    if len(text) < n_before:
        warnings.append(f"removed {n_before - len(text)} control character(s)")
    return text


# ------------------------------------------------------------------------------- API


def read_article(path: Path, meta: ArticleMeta | None = None) -> Article:
    """Read and clean one article file.

    In: the path of a text (or HTML) file; optionally its sidecar metadata, whose `id`
    must equal the file stem (default: `ArticleMeta(id=<stem>)`).
    Out: an `Article` whose `text` is the cleaned text (see the module docstring),
    `sha256` its hash, and `warnings` what was done beyond plain UTF-8 reading.
    Raises `InputError` for unreadable, empty, binary, undecodable or non-Arabic files.
    """
    path = Path(path)
    if meta is None:
        meta = ArticleMeta(id=path.stem)
    elif meta.id != path.stem:
        raise ValueError(f"meta id {meta.id!r} does not match file stem {path.stem!r}")

    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(path, f"cannot read file: {err.strerror or err}") from None
    if not data.strip():
        raise InputError(path, "empty article")

    warnings: list[str] = []
    text = _decode(path, data, warnings)
    if not text.strip():
        raise InputError(path, "empty article")
    text = _clean(text, warnings)
    if not text.strip():
        raise InputError(path, "empty article")

    share = _arabic_letter_share(text)
    if share < MIN_ARABIC_LETTER_SHARE:
        raise InputError(path, f"not an Arabic article ({int(share * 100)}% Arabic letters)")

    return Article(
        id=path.stem,
        path=path,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        meta=meta,
        warnings=tuple(warnings),
    )


_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SIDECAR_FIELDS = ("outlet", "url")


def _parse_sidecar(
    path: Path,
) -> tuple[dict[str, ArticleMeta], dict[str, int], list[InputError]]:
    """`read_sidecar`, plus the line on which each id was defined."""
    metas: dict[str, ArticleMeta] = {}
    lines: dict[str, int] = {}
    errors: list[InputError] = []
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        return metas, lines, [InputError(path, f"cannot read file: {err.strerror or err}")]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]

    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        def error(reason: str) -> None:
            errors.append(InputError(path, reason, line=lineno))

        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            error("line is not valid UTF-8")
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            error(f"invalid JSON: {err.msg} (column {err.colno})")
            continue
        if not isinstance(record, dict):
            error(f"expected a JSON object, got {type(record).__name__}")
            continue

        art_id = record.get("id")
        if art_id is None:
            error("missing id")
            continue
        if not isinstance(art_id, str):
            error(f"id must be a string, got {type(art_id).__name__}")
            continue
        if not art_id.strip():
            error("empty id")
            continue
        if art_id in metas:
            error(f"duplicate id {art_id!r} (first on line {lines[art_id]})")
            continue

        fields: dict[str, str | None] = {}
        for name in _SIDECAR_FIELDS:
            value = record.get(name)
            if value is not None and not isinstance(value, str):
                error(f"{name} must be a string or null, got {type(value).__name__}")
                value = None
            # An empty string means unknown, like null; other values are kept as written.
            fields[name] = value if isinstance(value, str) and value.strip() else None

        published: datetime.date | None = None
        raw_date = record.get("published")
        if isinstance(raw_date, str) and not raw_date.strip():
            raw_date = None  # "" means unknown, like null
        if raw_date is not None:
            # date.fromisoformat alone would also accept "20190302" or "2019-W09-6".
            if isinstance(raw_date, str) and _ISO_DATE_RE.fullmatch(raw_date):
                try:
                    published = datetime.date.fromisoformat(raw_date)
                except ValueError:
                    error(f"impossible date {raw_date!r}")
            else:
                error(f"bad date {raw_date!r} (expected YYYY-MM-DD)")

        metas[art_id] = ArticleMeta(id=art_id, published=published, **fields)
        lines[art_id] = lineno
    return metas, lines, errors


def read_sidecar(path: Path) -> tuple[dict[str, ArticleMeta], list[InputError]]:
    """Read an `articles.jsonl` sidecar without raising for bad content.

    In: the sidecar path; one JSON object per line,
    ``{"id": <file stem>, "outlet": ..., "published": "YYYY-MM-DD", "url": ...}``.
    Out: (id → ArticleMeta, errors). Each error names the file and 1-based line: invalid
    JSON, not an object, missing/non-string id, bad or impossible date (record kept with
    `published=None`), duplicate id (first kept). Blank lines and unknown keys are ignored.
    An unreadable file gives one error without a line.
    """
    metas, _, errors = _parse_sidecar(path)
    return metas, errors


def _is_txt(path: Path) -> bool:
    return path.suffix.lower() == ".txt"


def collect_inputs(
    paths: Iterable[Path],
) -> tuple[list[Path], dict[str, ArticleMeta], list[InputError]]:
    """Expand command-line inputs into article files and their metadata.

    In: paths, each a `.txt` file or a folder. A folder contributes every `*.txt` file
    directly inside it (hidden files skipped) and the metadata of its `articles.jsonl`.
    Out: (sorted unique article paths, id → ArticleMeta for ids with sidecar records,
    errors). Errors: missing path, a file that is not `.txt`, a folder without `.txt`
    files, sidecar problems (see `read_sidecar`), a sidecar id with no article file in
    its folder ("unknown id"), and two different files with the same stem (the id must
    be unique; the first collected is kept).
    """
    by_key: dict[Path, Path] = {}  # resolved → path as given
    stems: dict[str, Path] = {}
    metas: dict[str, ArticleMeta] = {}
    errors: list[InputError] = []

    seen_folders: set[Path] = set()

    def add(article: Path) -> bool:
        key = article.resolve()
        if key in by_key:
            return True
        other = stems.get(article.stem)
        if other is not None:
            reason = f"duplicate article id {article.stem!r} (also {other})"
            errors.append(InputError(article, reason))
            return False
        by_key[key] = article
        stems[article.stem] = article
        return True

    for path in map(Path, paths):
        if path.is_dir():
            if path.resolve() in seen_folders:  # given twice: report its sidecar once
                continue
            seen_folders.add(path.resolve())
            try:
                files = sorted(
                    (p for p in path.iterdir() if _is_txt(p) and not p.name.startswith(".")),
                    key=lambda p: p.name,
                )
                files = [p for p in files if p.is_file()]
            except OSError as err:
                errors.append(InputError(path, f"cannot read folder: {err.strerror or err}"))
                continue
            if not files:
                errors.append(InputError(path, "folder has no .txt files"))
            added = {p.stem for p in files if add(p)}
            in_folder = {p.stem for p in files}
            sidecar = path / SIDECAR_NAME
            if sidecar.is_file():
                side_metas, side_lines, side_errors = _parse_sidecar(sidecar)
                errors.extend(side_errors)
                for art_id, meta in side_metas.items():
                    if art_id in added:
                        metas[art_id] = meta
                    elif art_id not in in_folder:  # else: a duplicate stem, already reported
                        line = side_lines[art_id]
                        errors.append(InputError(sidecar, f"unknown id {art_id!r}", line=line))
        elif path.is_file():
            if _is_txt(path):
                add(path)
            else:
                errors.append(InputError(path, "not a .txt file"))
        elif path.exists():
            errors.append(InputError(path, "not a regular file or folder"))
        else:
            errors.append(InputError(path, "no such file or folder"))

    return sorted(by_key.values()), metas, errors
