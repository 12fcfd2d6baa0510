"""Scoring extraction against gold annotations (format: ../shared/gold/SCHEMA.md).

Entities match by English label or normalised Arabic alias. Events match within an article
by type, then by overlapping evidence or roles (greedy, best score first). Roles (agent,
target, place, source) are scored over all events, matched or not: an unmatched predicted
event's roles are false positives, an unmatched gold event's are false negatives. Date and
killed accuracy are over matched pairs (both empty counts as agreement).
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .arabic import normalize
from .records import ArticleRecord, EntityRef, EventMention

ROLES = ("agent", "target", "place", "source")
MICRO_ROLES = ("agent", "place", "source")


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0 if not self.fn else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0 if not self.fp else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Score:
    """All counts for one article (or summed over many)."""

    entities: Counts = field(default_factory=Counts)
    events: Counts = field(default_factory=Counts)
    roles: dict[str, Counts] = field(default_factory=lambda: {r: Counts() for r in ROLES})
    date_ok: int = 0
    killed_ok: int = 0
    pairs: int = 0

    def add(self, other: Score) -> None:
        self.entities.add(other.entities)
        self.events.add(other.events)
        for r in ROLES:
            self.roles[r].add(other.roles[r])
        self.date_ok += other.date_ok
        self.killed_ok += other.killed_ok
        self.pairs += other.pairs

    @property
    def role_micro(self) -> Counts:
        total = Counts()
        for r in MICRO_ROLES:
            total.add(self.roles[r])
        return total

    def row(self, name: str) -> list[str]:
        f = lambda x: f"{x:.3f}"  # noqa: E731
        acc = lambda ok: f(ok / self.pairs) if self.pairs else ""  # noqa: E731
        return [name, f(self.entities.precision), f(self.entities.recall), f(self.entities.f1),
                f(self.events.precision), f(self.events.recall), f(self.events.f1),
                *(f(self.roles[r].f1) for r in ROLES), f(self.role_micro.f1), acc(self.date_ok), acc(self.killed_ok)]


COLUMNS = ["article", "entity_p", "entity_r", "entity_f1", "event_p", "event_r", "event_f1",
           "agent_f1", "target_f1", "place_f1", "source_f1", "agent_place_source_f1", "date_acc", "killed_acc"]


def _norm(text: str) -> str:
    return normalize(text).replace(" ", "")


class GoldIndex:
    """Gold entities of one article: label → normalised aliases, for matching predictions."""

    def __init__(self, gold: dict):
        self.aliases: dict[str, set[str]] = {}
        for ent in gold["entities"]:
            keys = {_norm(a) for a in ent.get("aliases", [])}
            keys |= {k[2:] for k in keys if k.startswith("ال") and len(k) > 4}
            self.aliases[ent["label"]] = keys

    def label_of(self, ref: EntityRef, surfaces: Iterable[str] = ()) -> str | None:
        """The gold label a predicted entity stands for, if any."""
        if ref.label_en and ref.label_en in self.aliases:
            return ref.label_en
        forms = {_norm(x) for x in (ref.label_ar, *ref.aliases, *surfaces) if x}
        forms |= {f[2:] for f in forms if f.startswith("ال") and len(f) > 4}
        for label, keys in self.aliases.items():
            if forms & keys:
                return label
        return None


def _pred_labels(refs: Iterable[EntityRef], index: GoldIndex, surfaces: dict[str, set[str]] | None = None) -> set[str]:
    out = set()
    for ref in refs:
        out.add(index.label_of(ref, (surfaces or {}).get(ref.key, ())) or f"?{ref.key}")
    return out


def _event_labels(event: EventMention, index: GoldIndex, surfaces: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """Gold labels of an event's roles; `surfaces` (entity key → texts it was written as) lets a
    rule-found name match as it does in the entity score."""
    return {
        "agent": _pred_labels(event.agents, index, surfaces),
        "target": _pred_labels(event.targets, index, surfaces),
        "place": _pred_labels(event.places, index, surfaces),
        # unnamed sources («مصادر محلية») are not entities in the gold schema; one that spoke to
        # an outlet («مصدر أمني لنورث برس») is credited to that outlet
        "source": _pred_labels([s.entity if s.entity.type != "AnonymousSource" else s.channel
                                for s in event.sources if s.entity.type != "AnonymousSource" or s.channel], index,
                               surfaces),
    }


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score_article(record: ArticleRecord, gold: dict, text: str) -> Score:
    """Compare one article's records with its gold annotation."""
    index = GoldIndex(gold)
    score = Score()
    surfaces: dict[str, set[str]] = {}
    for m in record.mentions:
        surfaces.setdefault(m.entity.key, set()).add(m.text)
    # the article's entities: those written in it, and those its events are attributed to (the
    # outlet of a report in its own voice, an agency the speaker spoke to)
    used = {s.entity.key for e in record.events for s in e.sources}
    used |= {s.channel.key for e in record.events for s in e.sources if s.channel is not None}
    predicted = {}
    for ref in (*record.entities, *(r for r in record.context if r.key in used)):
        if ref.type == "AnonymousSource" or (ref.key not in surfaces and ref.key not in used):
            continue
        predicted[ref.key] = index.label_of(ref, surfaces.get(ref.key, ()))
    gold_labels = set(index.aliases)
    matched = {label for label in predicted.values() if label}
    tp = len(matched & gold_labels)
    # a second predicted node for an already matched gold entity is a false positive too
    score.entities = Counts(tp=tp, fp=len(predicted) - tp, fn=len(gold_labels - matched))

    gold_events = gold["events"]
    gold_spans = []
    for ev in gold_events:
        at = text.find(ev["evidence"])
        gold_spans.append((at, at + len(ev["evidence"])) if at >= 0 else (-1, -1))
    preds = list(record.events)
    pred_labels = [_event_labels(e, index, surfaces) for e in preds]
    candidates = []
    for gi, ev in enumerate(gold_events):
        for pi, pe in enumerate(preds):
            if pe.type != ev["type"]:
                continue
            anchors = [(a.start, a.end) for a in (pe.evidence, *pe.more_evidence)]
            s = 2.0 if any(_overlap(a, gold_spans[gi]) for a in anchors) else 0.0
            for role in ("agent", "target", "place"):
                gold_set = set(ev[role])
                if gold_set & pred_labels[pi][role]:
                    s += len(gold_set & pred_labels[pi][role]) / len(gold_set | pred_labels[pi][role])
            if s > 0:
                candidates.append((s, gi, pi))
    pairs: dict[int, int] = {}
    used = set()
    for s, gi, pi in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if gi not in pairs and pi not in used:
            pairs[gi] = pi
            used.add(pi)
    score.events = Counts(tp=len(pairs), fp=len(preds) - len(pairs), fn=len(gold_events) - len(pairs))
    for gi, ev in enumerate(gold_events):
        pi = pairs.get(gi)
        for role in ROLES:
            gold_set = set(ev[role])
            pred_set = pred_labels[pi][role] if pi is not None else set()
            score.roles[role].add(Counts(len(gold_set & pred_set), len(pred_set - gold_set), len(gold_set - pred_set)))
        if pi is not None:
            pe = preds[pi]
            score.pairs += 1
            score.date_ok += (pe.date.isoformat() if pe.date else None) == ev["date"]
            score.killed_ok += pe.killed == ev["killed"]
    for pi, pe in enumerate(preds):
        if pi not in used:
            for role in ROLES:
                score.roles[role].add(Counts(fp=len(pred_labels[pi][role])))
    return score


@dataclass(frozen=True)
class EvaluationTable:
    columns: list[str]
    rows: list[list[str]]
    total: Score


def evaluate_records(records: Iterable[ArticleRecord], gold_dir: Path, texts: dict[str, str]) -> EvaluationTable:
    """Score records against `gold_dir/<id>.json` (or gold_dir/seeds/<id>.json)."""
    total = Score()
    rows = []
    for record in sorted(records, key=lambda r: r.id):
        path = gold_dir / f"{record.id}.json"
        if not path.is_file():
            continue
        gold = json.loads(path.read_text(encoding="utf-8"))
        s = score_article(record, gold, texts[record.id])
        total.add(s)
        rows.append(s.row(record.id))
    if not rows:
        raise FileNotFoundError(f"{gold_dir}: no gold file matches any article")
    rows.append(total.row("overall"))
    return EvaluationTable(COLUMNS, rows, total)


def evaluate_folder(gold_dir: Path, articles_dir: Path, nlp=None) -> EvaluationTable:
    """Run the pipeline over `articles_dir` and score it against the gold JSON files in `gold_dir`."""
    from .pipeline import ArticleFailure, build_pipeline, process
    from .reader import collect_inputs, read_article

    gold_dir = Path(gold_dir)
    if not gold_dir.is_dir():
        raise FileNotFoundError(f"{gold_dir}: no such gold folder")
    if (gold_dir / "seeds").is_dir() and not list(gold_dir.glob("*.json")):
        gold_dir = gold_dir / "seeds"
    paths, meta, _errors = collect_inputs([Path(articles_dir)])
    articles = [read_article(p, meta.get(p.stem)) for p in paths if (gold_dir / f"{p.stem}.json").is_file()]
    nlp = nlp or build_pipeline()
    records = list(process(nlp, articles))
    failures = [r for r in records if isinstance(r, ArticleFailure)]
    if failures:
        # a scorer that silently skipped an article would report a flattering figure
        raise RuntimeError("; ".join(f"{f.path}: {f.reason}" for f in failures))
    return evaluate_records(records, gold_dir, {a.id: a.text for a in articles})
