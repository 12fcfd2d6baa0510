"""Optional morphological analysis: camel-tools lemmas on tokens, so unlisted inflections match.

`eventkg_morphology` runs camel-tools' morphological `Analyzer` over every Arabic token when a
morphology database file is configured (`db_path`). It writes the dediacritised lemma of the
token's most probable analysis to `token.lemma_` and, when the token's match key is a word no
lexicon knows but its lemma is a word of a trigger phrase, sets `token.norm_` to the lemma's
key: «قصفنا», «يعتقلان», «سيقصف» then match the triggers «قصف», «اعتقل» although
`triggers.tsv` does not list those forms. With `db_path` None the component does nothing.

Morphology databases are camel-tools data that must be downloaded (on a machine with internet:
`camel_data -i morphology-db-msa-r13`, which installs
`~/.camel_tools/data/morphology_db/calima-msa-r13/morphology.db`). `load_analyzer` never goes
to the network: importing `camel_tools.morphology.database` makes camel-tools load its data
catalogue, which it downloads when the catalogue file is missing; in that case the import runs
against an empty catalogue of our own (camel-tools has no installed data to find then anyway).
A configured database that is missing, unreadable or malformed is a `MorphologyDataError` at
pipeline build time that names the file and says how to install the data.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from camel_tools.utils.dediac import dediac_ar
from spacy.language import Language
from spacy.tokens import Doc

from .arabic import match_key
from .lexicon import DATA_DIR, load_lexicons
from .token_table import forget

INSTALL_HINT = (
    "Install camel-tools' MSA database on a machine with internet access with "
    "`camel_data -i morphology-db-msa-r13` (it lands in "
    "~/.camel_tools/data/morphology_db/calima-msa-r13/morphology.db, or under $CAMELTOOLS_DATA), "
    "copy that file to this machine and pass its path; or build without a morphology database."
)
# Letters, diacritics and tatweel only: digits, punctuation and Latin are left unanalysed.
ARABIC_WORD = re.compile(r"[\u0621-\u065F\u0670-\u06D3]+")
# A catalogue with no packages: what camel-tools reads instead of downloading one.
_EMPTY_CATALOGUE = {"version": "1.6", "packages": {}, "components": {}}
_NO_LOGPROB = -99.0  # camel-tools' own value for analyses without a probability


class MorphologyDataError(ValueError):
    """A configured morphology database cannot be used; the message names the file."""


def camel_data_dir() -> Path:
    """The folder camel-tools keeps its data and catalogue in (`$CAMELTOOLS_DATA` or the default).

    Mirrors `camel_tools.data.catalogue` without importing it, since that import loads (and may
    download) the catalogue.
    """
    cached = sys.modules.get("camel_tools.data.catalogue")
    if cached is not None:
        return Path(cached.CT_DATA_DIR)
    env = os.environ.get("CAMELTOOLS_DATA")
    if env is not None:
        return Path(env).expanduser().absolute()
    return Path.home() / ("AppData/Roaming/camel_tools" if sys.platform == "win32" else ".camel_tools")


@contextlib.contextmanager
def _private_catalogue(real_dir: Path) -> Iterator[None]:
    """Point camel-tools at a temporary folder holding an empty catalogue, then back at `real_dir`."""
    saved_env = os.environ.get("CAMELTOOLS_DATA")
    with tempfile.TemporaryDirectory(prefix="eventkg-camel-data-") as tmp:
        Path(tmp, "catalogue.json").write_text(json.dumps(_EMPTY_CATALOGUE), encoding="utf-8")
        os.environ["CAMELTOOLS_DATA"] = tmp
        # a catalogue module cached by an earlier failed import has already read the variable
        cached = sys.modules.get("camel_tools.data.catalogue")
        if cached is not None:
            cached.CT_DATA_DIR = Path(tmp)
        try:
            yield
        finally:
            if saved_env is None:
                os.environ.pop("CAMELTOOLS_DATA", None)
            else:
                os.environ["CAMELTOOLS_DATA"] = saved_env
            # only the in-memory (empty) catalogue should remember the detour, not the paths
            for name in ("camel_tools.data.catalogue", "camel_tools.data"):
                module = sys.modules.get(name)
                if module is not None:
                    module.CT_DATA_DIR = real_dir
            cached = sys.modules.get("camel_tools.data.catalogue")
            if cached is not None:
                cached.CT_VERSIONS_PATH = real_dir / "versions.json"


def _camel_morphology() -> tuple[type, type]:
    """camel-tools' `MorphologyDB` and `Analyzer` classes, imported without any network access."""
    if "camel_tools.data" not in sys.modules:
        real_dir = camel_data_dir()
        catalogue = real_dir / "catalogue.json"
        guard = contextlib.nullcontext() if catalogue.is_file() else _private_catalogue(real_dir)
        try:
            with guard:
                import camel_tools.data  # noqa: F401 — loads the catalogue, here always from disk
        except Exception as exc:  # noqa: BLE001 — any failure here is camel-tools' data setup
            where = (f"its data catalogue {catalogue} (fix or remove that file)" if catalogue.is_file()
                     else f"its data folder {real_dir}")
            raise MorphologyDataError(
                f"camel-tools could not set up {where}: {type(exc).__name__}: {exc}. {INSTALL_HINT}"
            ) from exc
    from camel_tools.morphology.analyzer import Analyzer
    from camel_tools.morphology.database import MorphologyDB

    return MorphologyDB, Analyzer


def load_analyzer(db_path: str | Path) -> Any:
    """A camel-tools `Analyzer` over the morphology database file `db_path`.

    Raises MorphologyDataError naming `db_path` when the file is missing, unreadable or not a
    complete camel-tools morphology database, or when camel-tools' data catalogue cannot load.
    """
    path = Path(db_path)
    if not path.exists():
        raise MorphologyDataError(f"morphology database {path}: file not found. {INSTALL_HINT}")
    if not path.is_file():
        raise MorphologyDataError(f"morphology database {path}: not a file (expected a morphology.db). {INSTALL_HINT}")
    MorphologyDB, Analyzer = _camel_morphology()
    from camel_tools.morphology.errors import MorphologyError

    try:
        db = MorphologyDB(str(path), "a")
    except OSError as exc:
        raise MorphologyDataError(f"morphology database {path}: cannot be read ({exc.strerror or exc}). {INSTALL_HINT}") from exc
    except UnicodeDecodeError as exc:
        raise MorphologyDataError(f"morphology database {path}: not UTF-8 text ({exc}). {INSTALL_HINT}") from exc
    except (MorphologyError, KeyError, IndexError, ValueError, TypeError) as exc:
        raise MorphologyDataError(
            f"morphology database {path}: not a camel-tools morphology database ({type(exc).__name__}: {exc}). {INSTALL_HINT}"
        ) from exc
    # camel-tools accepts an empty or truncated file silently and then finds nothing (or fails
    # mid-article); a usable database has stems and all three compatibility tables.
    missing = [name for name, table in (("STEMS", db.stem_hash), ("TABLE AB", db.prefix_stem_compat),
                                        ("TABLE BC", db.stem_suffix_compat), ("TABLE AC", db.prefix_suffix_compat))
               if not table]
    if missing:
        raise MorphologyDataError(
            f"morphology database {path}: incomplete, no entries in {', '.join(missing)}. {INSTALL_HINT}"
        )
    return Analyzer(db)


def best_lemma(analyses: list[dict]) -> str | None:
    """The dediacritised lemma of the most probable analysis (the first on a tie), or None."""
    if not analyses:
        return None
    best = max(analyses, key=lambda a: float(a.get("pos_lex_logprob", _NO_LOGPROB)))
    return dediac_ar(best["lex"]) or None


class Morphology:
    """Pipe: lemmas on Arabic tokens; an unknown token whose lemma is a trigger word gets its key.

    db_path: camel-tools morphology database file, or None to do nothing.
    data_dir: the lexicon folder (which words are known, which are trigger words).
    """

    def __init__(self, nlp: Language, name: str, db_path: str | None, data_dir: str):
        self.name = name
        self.db_path = db_path
        self.analyzer = None if db_path is None else load_analyzer(db_path)
        lexicons = load_lexicons(data_dir)
        self.known = lexicons.vocabulary
        # Only trigger words are stood in for: gazetteer names and cue words are exact phrases,
        # and a lemma (a plural's singular, a verb's masdar) must not turn into part of one.
        self.trigger_words = frozenset(
            match_key(word) for row in lexicons.phrases["triggers"] for word in row["form"].split()
        ) & self.known
        self.lemma = functools.lru_cache(maxsize=1 << 17)(self._lemma)

    def _lemma(self, text: str) -> str | None:
        return best_lemma(self.analyzer.analyze(text))

    def __call__(self, doc: Doc) -> Doc:
        if self.analyzer is None:
            return doc
        for token in doc:
            if not ARABIC_WORD.fullmatch(token.text):
                continue
            lemma = self.lemma(token.text)
            if lemma is None:
                continue
            token.lemma_ = lemma
            if token.norm_ not in self.known:
                key = match_key(lemma)
                if key in self.trigger_words:
                    token.norm_ = key
        forget(doc, "norms")
        return doc


@Language.factory("eventkg_morphology", default_config={"db_path": None, "data_dir": str(DATA_DIR)})
def make_morphology(nlp: Language, name: str, db_path: str | None, data_dir: str) -> Morphology:
    return Morphology(nlp, name, db_path, data_dir)
