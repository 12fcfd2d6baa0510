"""Disagreements between sources: which canonical events hold claims that do not agree.

A canonical event's mentions carry claims (`ekg:Claim`: one source's statement, its figures and
the agents it names). The sources disagree on a measure when the claims of more than one source
give different values for it:

  * killed, injured, count: different figures;
  * casualties (killed-or-wounded): an `ekg:casualties` figure against the others' casualties,
    or, for a claim without one, its killed + injured ("70 killed or wounded" vs "16 killed");
    only when some claim states an `ekg:casualties` figure (else killed/injured say it all);
  * agent: the claims that name agents, from more than one source, have no agent in common
    (a claim naming more agents than another is not a disagreement).

A claim with no source counts as its article's. The build finds the disagreements once, when it
links canonical events, and writes each as `ekg:disagreesOn "<measure>"` on the canonical event;
`queries/conflicting_claims.rq` then starts from those few events instead of comparing every
claim in the store at query time (105 s at 10,000 articles).
"""
from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from .queries import canned_queries

FIGURES = ("killed", "injured", "count")


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """What comparing claims needs to know about one claim (IRIs as strings)."""

    iri: str
    source: str                         # prov:wasAttributedTo, else the article the claim comes from
    killed: int | None = None
    injured: int | None = None
    count: int | None = None
    casualties: int | None = None
    agents: frozenset[str] = frozenset()


def _differ(values: Iterable[tuple[int, str]]) -> bool:
    # more than one value, from more than one source
    values = list(values)
    return len({v for v, _ in values}) > 1 and len({s for _, s in values}) > 1


def disagreements(claims: Collection[ClaimFacts]) -> list[str]:
    """The measures the claims of one canonical event disagree on (rules in the module docstring), in
    the order killed, injured, count, casualties, agent."""
    found = [m for m in FIGURES if _differ((getattr(c, m), c.source) for c in claims if getattr(c, m) is not None)]
    if any(c.casualties is not None for c in claims):
        casualties = [(c.casualties, c.source) if c.casualties is not None
                      else ((c.killed or 0) + (c.injured or 0), c.source)
                      for c in claims if c.casualties is not None or c.killed is not None or c.injured is not None]
        if _differ(casualties):
            found.append("casualties")
    naming = [c for c in claims if c.agents]
    if len(naming) > 1 and len({c.source for c in naming}) > 1:
        named_by = Counter(agent for c in naming for agent in c.agents)
        if max(named_by.values()) < len(naming):
            found.append("agent")
    return found


def fetch_claims(store, mentions: Collection[str]) -> dict[str, list[ClaimFacts]]:
    """The claims of the event mentions `mentions` (IRIs), by mention IRI.

    Two streamed passes (`queries/claim_mentions.rq`, then `queries/claim_features.rq`); only the
    claims of `mentions` are kept, so memory follows the candidates, not the store.
    """
    queries = canned_queries()
    intern = sys.intern   # IRIs repeat across claims (articles, sources, agents): one object each
    mention_of = {intern(claim): intern(mention) for claim, mention in
                  store.rows(queries["claim_mentions"].read_text(encoding="utf-8")) if mention in mentions}
    # feature → values as a small tuple per claim: a dict of sets per claim was most of the
    # build's peak memory at 50,000 articles
    facts: dict[str, dict[str, tuple[str, ...]]] = {}
    for claim, feature, value in store.rows(queries["claim_features"].read_text(encoding="utf-8")):
        if claim in mention_of:
            f = facts.setdefault(intern(claim), {})
            f[feature] = (*f.get(feature, ()), intern(value))
    by_mention: dict[str, list[ClaimFacts]] = defaultdict(list)
    for claim in sorted(facts):
        f = facts.pop(claim)

        def figure(name: str) -> int | None:
            # at most one of each per claim (SHACL); min() keeps a bad graph deterministic
            return min((int(v) for v in f.get(name, ())), default=None)

        by_mention[mention_of[claim]].append(ClaimFacts(
            iri=claim, source=min(f.get("source") or f.get("article") or (), default=""),
            killed=figure("killed"), injured=figure("injured"), count=figure("count"),
            casualties=figure("casualties"), agents=frozenset(f.get("agent", ()))))
    return by_mention


def event_disagreements(groups: Mapping[str, Collection[str]], claims: Mapping[str, list[ClaimFacts]]
                        ) -> dict[str, list[str]]:
    """Canonical event IRI → the measures its claims disagree on (events without any left out).

    groups: canonical event IRI → its mention IRIs; claims: `fetch_claims` of those mentions.
    """
    out = {}
    for event, members in groups.items():
        found = disagreements([c for m in members for c in claims.get(m, ())])
        if found:
            out[event] = found
    return out
