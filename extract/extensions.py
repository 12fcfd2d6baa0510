"""`Doc._` extensions every eventkg component reads or writes.

Inputs (set by the caller before the pipeline runs): `article_id`, `published` (date or None),
`outlet` (gazetteer id or None), `data_dir`. Outputs: `frames` (event frames, see events.py),
`claims` (sentence → source, see attribution.py), `errors` (problems met while processing).
"""
from __future__ import annotations

from spacy.tokens import Doc, Span

from .lexicon import DATA_DIR

_DOC_EXTENSIONS = {
    "article_id": None,
    "published": None,
    "outlet": None,
    "data_dir": str(DATA_DIR),
    "frames": None,
    "claims": None,
    "entity_refs": None,
}

for _name, _default in _DOC_EXTENSIONS.items():
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)

if not Span.has_extension("value"):
    Span.set_extension("value", default=None)
