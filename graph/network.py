"""Actor networks over the event graph: who acts against whom, who sides with whom, who reports on whom.

Plain functions over networkx graphs:

* `interactions(store, filters)` runs `graph/queries/actor_interactions.rq` with the filters bound
  as variables and returns one `Participation` per (event mention, role, actor).
* `actor_network(rows)` turns those rows into an `nx.MultiDiGraph`: nodes are actors (IRI as node
  id; `type`, `label_en`, `label_ar`, `label`, mention counts), edges are typed interactions keyed
  `"<interaction>:<event type>"` (`…:mutual` for two-way ties) with `weight` (number of event
  mentions) and `events` (their IRIs):
    - `hostile`    agent → target of an event; co-agents of an armed clash (they fight each other)
    - `allied`     co-agents of any other event (same side); stored once, `mutual=True`
    - `reports_on` source → each agent and target of an event attributed to it
* Analysis with networkx's algorithms: `centrality`, `communities`, `ego_network`, `annotate`.
* `write_network(G, path)` writes GEXF, GraphML, JSON node-link, a PNG drawing or an interactive
  self-contained HTML view (pyvis / vis-network, inlined so it opens offline), by extension.
"""
from __future__ import annotations

import json
import re
import warnings
from html import escape
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import networkx as nx
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from .iri import mint_iri
from .queries import QUERY_DIR, bind_value
from .store import atomic_write

QUERY = QUERY_DIR / "actor_interactions.rq"

CERTAINTIES = ("asserted", "uncertain", "negated")
ROLES = ("agent", "target", "source")
INTERACTIONS = ("hostile", "allied", "reports_on")

# Event types whose several agents are opposing sides, not partners: the gold schema writes
# "clashes between A and B" as ArmedClash with agent [A, B] and no target.
OPPOSING_AGENTS = frozenset({"ArmedClash"})

NETWORK_FORMATS = (".gexf", ".graphml", ".json", ".png", ".html")

ACTOR_COLOURS = {
    "ArmedGroup": "#d62728",
    "StateForce": "#1f77b4",
    "Country": "#17becf",
    "GovernmentBody": "#9467bd",
    "Organization": "#2ca02c",
    "MediaOutlet": "#ff7f0e",
    "Person": "#8c564b",
    "AnonymousSource": "#c7c7c7",
}
OTHER_COLOUR = "#7f7f7f"
INTERACTION_COLOURS = {"hostile": "#c0392b", "allied": "#27ae60", "reports_on": "#95a5a6"}
INTERACTION_LABELS = {"hostile": "hostile (agent → target, clash)", "allied": "allied (same side)",
                      "reports_on": "reports on (source → actor)"}

# Fonts tried for labels, first one whose glyphs cover Arabic wins. DejaVu Sans ships with
# matplotlib and covers both Latin and Arabic; the others are Debian/Noto fonts.
FONT_CANDIDATES = ("DejaVu Sans", "Noto Sans Arabic", "Noto Naskh Arabic", "Noto Sans", "FreeSerif")
ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")


# --------------------------------------------------------------------------------------------
# Query
# --------------------------------------------------------------------------------------------

def _as_date(value: date | str | None, what: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what} {value!r}: not a date (use YYYY-MM-DD)") from None


@dataclass(frozen=True)
class Filters:
    """Which event mentions feed the network. Every field is optional (None = no filter).

    date_from/date_to: inclusive bounds (date or "YYYY-MM-DD"); undated events drop out when set.
    place: a place label (English or Arabic, exact) or IRI; places located inside it count.
    source: a source label or IRI: only events attributed to it.
    event_type: an event type name such as "Airstrike". certainty: asserted/uncertain/negated.
    """

    date_from: date | str | None = None
    date_to: date | str | None = None
    place: str | None = None
    source: str | None = None
    event_type: str | None = None
    certainty: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "date_from", _as_date(self.date_from, "from date"))
        object.__setattr__(self, "date_to", _as_date(self.date_to, "to date"))
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date range {self.date_from} .. {self.date_to} is empty (from is after to)")
        if self.certainty is not None and self.certainty not in CERTAINTIES:
            raise ValueError(f"certainty {self.certainty!r}: use one of {', '.join(CERTAINTIES)}")

    def bindings(self) -> dict[str, object]:
        """The query variables to bind (unset filters stay unbound)."""
        out: dict[str, object] = {}
        if self.date_from:
            out["from_date"] = Literal(self.date_from.isoformat(), datatype=XSD.date)
        if self.date_to:
            out["to_date"] = Literal(self.date_to.isoformat(), datatype=XSD.date)
        if self.place:
            out["in_place"] = bind_value(self.place)
        if self.source:
            out["by_source"] = bind_value(self.source)
        if self.event_type:
            out["of_type"] = Literal(self.event_type)
        if self.certainty:
            out["with_certainty"] = Literal(self.certainty)
        return out


@dataclass(frozen=True)
class Participation:
    """One actor's part in one event mention (a row of actor_interactions.rq)."""

    event: str
    type: str
    date: str | None
    certainty: str
    article: str
    role: str          # agent | target | source
    actor: str
    actor_type: str
    label_en: str
    label_ar: str


EVENT_TYPES_QUERY = """
PREFIX ekg:  <https://w3id.org/eventkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?name WHERE { ?class rdfs:subClassOf ekg:Event ; ekg:typeName ?name } ORDER BY ?name
"""


def event_type_names(store) -> list[str]:
    """The event type names the ontology in `store` defines ("Airstrike", "ArmedClash", ...)."""
    return [row[0] for row in store.query(EVENT_TYPES_QUERY).rows]


def interactions(store, filters: Filters | None = None) -> list[Participation]:
    """Rows of who took which part (agent/target/source) in which event mention, filtered.

    store: a MemoryStore or OxigraphStore. Raises ValueError for an event type the ontology
    does not define (the message lists the known ones).
    """
    filters = filters or Filters()
    if filters.event_type is not None:
        known = event_type_names(store)
        if filters.event_type not in known:
            raise ValueError(f"event type {filters.event_type!r} is not known (use one of {', '.join(known)})")
    result = store.query(QUERY.read_text(encoding="utf-8"), filters.bindings())
    fields = Participation.__dataclass_fields__
    index = {name: result.columns.index(name) for name in fields}
    rows = {Participation(**{name: row[i] if row[i] is not None or name == "date" else "" for name, i in index.items()})
            for row in result.rows}
    return sorted(rows, key=lambda r: (r.article, r.event, r.role, r.actor))


# --------------------------------------------------------------------------------------------
# Building the network
# --------------------------------------------------------------------------------------------

def display_label(label_en: str, label_ar: str) -> str:
    """One line naming an actor: the English label where known, else the Arabic one."""
    return label_en or label_ar


def actor_network(rows: Iterable[Participation]) -> nx.MultiDiGraph:
    """The actor network of `rows` (from `interactions`).

    Nodes: actor IRIs with `type`, `label_en`, `label_ar`, `label`, `mentions` (distinct event
    mentions the actor takes part in) and `as_agent`/`as_target`/`as_source` counts.
    Edges: keyed "<interaction>:<event type>[:mutual]" ("reports_on" has no type); attributes
    `interaction`, `event_type`, `mutual`, `weight`, `events` (sorted mention IRIs), and how many
    of those are asserted/uncertain/negated. Self-loops are dropped.
    """
    actors: dict[str, tuple[str, str, str]] = {}
    events: dict[str, dict] = {}
    for row in rows:
        actors.setdefault(row.actor, (row.actor_type, row.label_en, row.label_ar))
        event = events.setdefault(row.event, {"type": row.type, "certainty": row.certainty,
                                              "agent": set(), "target": set(), "source": set()})
        event[row.role].add(row.actor)
    return _network(actors, events.items())


def _network(actors: dict[str, tuple[str, str, str]], events: Iterable[tuple[str, dict]]) -> nx.MultiDiGraph:
    """The network of `events` (mention IRI → type, certainty and the sets of "agent", "target" and
    "source" actor IRIs), each actor described by `actors` (IRI → type, English and Arabic label)."""
    roles: dict[str, Counter] = defaultdict(Counter)
    involved: Counter = Counter()   # distinct mentions per actor
    edges: dict[tuple[str, str, str], dict] = {}

    def add(u: str, v: str, interaction: str, event_type: str, mutual: bool, event_iri: str, certainty: str) -> None:
        if u == v:
            return
        if mutual and v < u:
            u, v = v, u
        # two-way ties get their own key: a clash's sides and an attack by one on the other stay apart
        key = ":".join(part for part in (interaction, event_type, "mutual" if mutual else "") if part)
        edge = edges.setdefault((u, v, key), {"interaction": interaction, "event_type": event_type,
                                              "mutual": mutual, "events": set(), **dict.fromkeys(CERTAINTIES, 0)})
        if event_iri not in edge["events"]:
            edge["events"].add(event_iri)
            edge[certainty] += 1

    for iri, event in events:
        for role in ("agent", "target", "source"):
            for actor in event[role]:
                roles[actor][role] += 1
        for actor in event["agent"] | event["target"] | event["source"]:
            involved[actor] += 1
        kind, certainty = event["type"], event["certainty"]
        agents, targets = sorted(event["agent"]), sorted(event["target"])
        for a in agents:
            for t in targets:
                add(a, t, "hostile", kind, False, iri, certainty)
        co_agent = "hostile" if kind in OPPOSING_AGENTS else "allied"
        for i, a in enumerate(agents):
            for b in agents[i + 1:]:
                add(a, b, co_agent, kind, True, iri, certainty)
        for s in sorted(event["source"]):
            for x in sorted({*agents, *targets}):
                add(s, x, "reports_on", "", False, iri, certainty)

    graph = nx.MultiDiGraph()
    for iri in sorted(involved):   # the actors taking part in some event
        actor_type, label_en, label_ar = actors[iri]
        counts = roles[iri]
        graph.add_node(iri, type=actor_type, label_en=label_en, label_ar=label_ar,
                       label=display_label(label_en, label_ar), mentions=involved[iri],
                       as_agent=counts["agent"], as_target=counts["target"], as_source=counts["source"])
    for (u, v, key), data in sorted(edges.items()):
        evs = sorted(data.pop("events"))
        weight = len(evs)
        what = data["event_type"] or "reports on"
        graph.add_edge(u, v, key=key, weight=weight, events=evs, label=f"{what} ×{weight}", **data)
    return graph


def network_from_store(store, filters: Filters | None = None) -> nx.MultiDiGraph:
    """The actor network of `store`: `actor_network(interactions(store, filters))`.

    Without filters it is read from the network the last build materialised (`materialise_network`),
    a few thousand rows however large the store; with filters, or on a graph built before there was
    one, it is computed from the event mentions.
    """
    if not filters or filters == Filters():
        materialised = read_network(store)
        if materialised is not None:
            return materialised
    return actor_network(interactions(store, filters))


# --------------------------------------------------------------------------------------------
# The materialised network: computed once per build, read by every unfiltered request
# --------------------------------------------------------------------------------------------

ACTORS_QUERY = QUERY_DIR / "actors.rq"
NETWORK_QUERY = QUERY_DIR / "actor_network.rq"
VALUE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#value")


def network_graph_iri() -> URIRef:
    """The named graph holding the materialised actor network."""
    return mint_iri("graph", "network")


def materialise_network(store, mentions=None) -> int:
    """Compute the unfiltered actor network of the whole `store` and write it to `network_graph_iri()`.

    mentions: `graph.canonical.fetch_mentions(store)` (read once by the build for canonical linking
    too); fetched when None. The network is `actor_network` of the same participations
    `actor_interactions.rq` gives unfiltered: each mention's agents, targets and sources that are
    actors (`actors.rq`). Each actor and each edge becomes one node whose `rdf:value` is its
    attributes as JSON (the edge's `events` list included), so reading it back is one row per
    actor or edge. Returns the number of actors and edges written.
    """
    if mentions is None:
        from .canonical import fetch_mentions
        mentions = fetch_mentions(store)
    actors = {row[0]: (row[1] or "", row[2] or "", row[3] or "")
              for row in store.rows(ACTORS_QUERY.read_text(encoding="utf-8"))}

    def events():   # each mention's actors by role, made one at a time (no row per participation)
        for m in mentions:
            roles = {"agent": m.agents & actors.keys(), "target": m.targets & actors.keys(),
                     "source": m.sources & actors.keys()}
            if roles["agent"] or roles["target"] or roles["source"]:
                yield m.iri, {"type": m.type, "certainty": m.certainty, **roles}

    graph = _network(actors, events())
    store.replace_graph(network_graph_iri(), _network_triples(graph))
    return graph.number_of_nodes() + graph.number_of_edges()


def _network_triples(graph: nx.MultiDiGraph):
    yield mint_iri("network"), VALUE, Literal(json.dumps({"nodes": graph.number_of_nodes(),
                                                         "edges": graph.number_of_edges()}))
    for i, (node, data) in enumerate(graph.nodes(data=True)):
        yield mint_iri("network", "actor", f"{i:08d}"), VALUE, Literal(json.dumps(
            {"id": node, **data}, ensure_ascii=False, sort_keys=True))
    for i, (u, v, key, data) in enumerate(graph.edges(keys=True, data=True)):
        yield mint_iri("network", "edge", f"{i:08d}"), VALUE, Literal(json.dumps(
            {"u": u, "v": v, "key": key, **data}, ensure_ascii=False, sort_keys=True))


def read_network(store) -> nx.MultiDiGraph | None:
    """The materialised actor network of `store` (`actor_network.rq`), or None if it has none."""
    result = store.query(NETWORK_QUERY.read_text(encoding="utf-8"))
    if not result.rows:
        return None
    graph = nx.MultiDiGraph()
    nodes, edges = [], []
    for kind, value in result.rows:
        if kind == "actor":
            nodes.append(json.loads(value))
        elif kind == "edge":
            edges.append(json.loads(value))
    # the order actor_network adds them in: nodes by IRI, edges by (u, v, key)
    for data in sorted(nodes, key=lambda d: d["id"]):
        graph.add_node(data.pop("id"), **data)
    for data in sorted(edges, key=lambda d: (d["u"], d["v"], d["key"])):
        graph.add_edge(data.pop("u"), data.pop("v"), key=data.pop("key"), **data)
    return graph


# --------------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------------

def collapse(graph: nx.MultiDiGraph, kinds: Iterable[str] | None = None) -> nx.Graph:
    """An undirected simple graph: one edge per actor pair, `weight` summed over the pair's
    interactions (only those in `kinds`, default all), `interactions` naming which occur."""
    wanted = set(kinds) if kinds is not None else set(INTERACTIONS)
    simple = nx.Graph()
    simple.add_nodes_from(graph.nodes(data=True))
    for u, v, data in graph.edges(data=True):
        if data["interaction"] not in wanted:
            continue
        if simple.has_edge(u, v):
            simple[u][v]["weight"] += data["weight"]
            simple[u][v]["interactions"] = sorted({*simple[u][v]["interactions"], data["interaction"]})
        else:
            simple.add_edge(u, v, weight=data["weight"], interactions=[data["interaction"]])
    return simple


def centrality(graph: nx.MultiDiGraph, kinds: Iterable[str] | None = None) -> list[dict]:
    """Per actor: degree centrality, weighted degree and betweenness centrality (networkx,
    on the collapsed undirected graph; betweenness counts hops, not weights). Sorted most
    central first."""
    simple = collapse(graph, kinds)
    degree = nx.degree_centrality(simple) if len(simple) > 1 else dict.fromkeys(simple, 0.0)
    betweenness = nx.betweenness_centrality(simple)
    rows = [{"actor": n, "label": simple.nodes[n].get("label", n), "type": simple.nodes[n].get("type", ""),
             "degree": round(degree[n], 4), "weighted_degree": simple.degree(n, weight="weight"),
             "betweenness": round(betweenness[n], 4)} for n in simple]
    return sorted(rows, key=lambda r: (-r["betweenness"], -r["degree"], -r["weighted_degree"], r["label"]))


def communities(graph: nx.MultiDiGraph, kinds: Iterable[str] | None = None, seed: int = 0) -> list[set[str]]:
    """Louvain communities (networkx) of the collapsed weighted graph, largest first; the seed
    makes them repeatable."""
    simple = collapse(graph, kinds)
    if simple.number_of_edges() == 0:
        found = [{n} for n in simple]
    else:
        found = nx.community.louvain_communities(simple, weight="weight", seed=seed)
    return sorted((set(c) for c in found), key=lambda c: (-len(c), min(c)))


def find_actor(graph: nx.Graph, name: str) -> str:
    """The node whose IRI, English label (any case) or Arabic label is `name`; KeyError otherwise."""
    for node, data in graph.nodes(data=True):
        if name == node or name == data.get("label_ar") or name.casefold() == (data.get("label_en") or "").casefold():
            return node
    known = sorted(data.get("label") or node for node, data in graph.nodes(data=True))
    raise KeyError(f"no actor {name!r} in the network (actors: {', '.join(known)})")


def ego_network(graph: nx.MultiDiGraph, actor: str, radius: int = 1) -> nx.MultiDiGraph:
    """The actors within `radius` interactions of `actor` (label or IRI), in either direction,
    with every edge among them."""
    return nx.ego_graph(graph, find_actor(graph, actor), radius=radius, undirected=True).copy()


def only(graph: nx.MultiDiGraph, kinds: Iterable[str]) -> nx.MultiDiGraph:
    """The interactions of the given kinds (e.g. {"hostile"}: who fights whom) and the actors
    taking part in them."""
    kinds = set(kinds)
    unknown = kinds - set(INTERACTIONS)
    if unknown:
        raise ValueError(f"unknown interaction {', '.join(sorted(unknown))} (use {', '.join(INTERACTIONS)})")
    keep = [(u, v, k) for u, v, k, d in graph.edges(keys=True, data=True) if d["interaction"] in kinds]
    return graph.edge_subgraph(keep).copy()


def annotate(graph: nx.MultiDiGraph, seed: int = 0) -> nx.MultiDiGraph:
    """Store `degree`, `betweenness` and `community` (index into `communities`) on the nodes, so
    exported files carry them; returns the same graph."""
    for row in centrality(graph):
        graph.nodes[row["actor"]].update(degree=row["degree"], betweenness=row["betweenness"])
    for index, members in enumerate(communities(graph, seed=seed)):
        for node in members:
            graph.nodes[node]["community"] = index
    return graph


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------

def _flat(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy whose attribute values GEXF/GraphML can hold: lists joined with "|", None as ""."""

    def flat(data: Mapping) -> dict:
        return {k: "|".join(map(str, v)) if isinstance(v, (list, tuple, set)) else ("" if v is None else v)
                for k, v in data.items()}

    out = nx.MultiDiGraph(**flat(graph.graph))
    out.add_nodes_from((n, flat(d)) for n, d in graph.nodes(data=True))
    out.add_edges_from((u, v, k, flat(d)) for u, v, k, d in graph.edges(keys=True, data=True))
    return out


def node_link_json(graph: nx.Graph) -> str:
    """The graph as networkx node-link JSON (keys "nodes" and "edges"), UTF-8 text."""
    return json.dumps(nx.node_link_data(graph, edges="edges"), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_network(graph: nx.MultiDiGraph, path: Path, title: str | None = None) -> Path:
    """Write `graph` in the format its extension names: .gexf, .graphml, .json (node-link),
    .png (drawing) or .html (interactive, self-contained). Raises ValueError for another one."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in NETWORK_FORMATS:
        raise ValueError(f"{path}: unknown network format {path.suffix!r} (use {', '.join(NETWORK_FORMATS)})")

    def write(tmp: Path) -> None:
        if suffix == ".gexf":
            # networkx stamps today's date in the header; drop it so the same graph gives the same file
            text = "\n".join(nx.generate_gexf(_flat(graph)))
            tmp.write_text(re.sub(r' lastmodifieddate="[^"]*"', "", text, count=1) + "\n", encoding="utf-8")
        elif suffix == ".graphml":
            nx.write_graphml(_flat(graph), tmp)
        elif suffix == ".json":
            tmp.write_text(node_link_json(graph), encoding="utf-8")
        elif suffix == ".png":
            write_png(graph, tmp, title=title)
        else:
            tmp.write_text(network_html(graph, title=title), encoding="utf-8")

    atomic_write(path, write)
    return path


# --------------------------------------------------------------------------------------------
# Drawing (matplotlib)
# --------------------------------------------------------------------------------------------

def matplotlib_shapes_text() -> bool:
    """True when matplotlib lays text out with libraqm (3.11+ wheels), which joins Arabic letters
    and orders right-to-left runs itself; then labels must be passed in logical order."""
    from matplotlib import ft2font

    return bool(getattr(ft2font, "__libraqm_version__", ""))


def visual_arabic(text: str) -> str:
    """`text` ready for matplotlib: unchanged where matplotlib shapes Arabic itself, else joined
    into presentation forms (arabic_reshaper) and put in visual order (python-bidi)."""
    if not text or not ARABIC.search(text) or matplotlib_shapes_text():
        return text
    import arabic_reshaper
    from bidi import get_display

    return get_display(arabic_reshaper.reshape(text))


_font_cache: dict[str, str] = {}


def arabic_font() -> str:
    """A font family on this machine whose glyphs cover Arabic; warns and falls back to
    matplotlib's default when none does."""
    if "family" in _font_cache:
        return _font_cache["family"]
    import arabic_reshaper
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    sample = "ابتثجحخدذرزسشصضطظعغفقكلمنهوية"
    needed = set(sample) | (set() if matplotlib_shapes_text() else set(arabic_reshaper.reshape(sample)))
    chosen = None
    for family in FONT_CANDIDATES:
        try:
            path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        charmap = FT2Font(path).get_charmap()
        if all(ord(c) in charmap for c in needed):
            chosen = family
            break
    if chosen is None:
        import matplotlib

        chosen = matplotlib.rcParams["font.sans-serif"][0]
        warnings.warn(f"no font with Arabic glyphs found (tried {', '.join(FONT_CANDIDATES)}); Arabic labels will "
                      f"show as boxes. Install fonts-dejavu-core or fonts-noto-core.", stacklevel=2)
    _font_cache["family"] = chosen
    return chosen


def node_text(data: Mapping) -> str:
    """A node's drawn label: English above Arabic where both are known, else whichever is."""
    en, ar = data.get("label_en") or "", data.get("label_ar") or ""
    lines = [en] if en else []
    if ar:
        lines.append(visual_arabic(ar))
    return "\n".join(lines)


def layout(graph: nx.Graph) -> dict:
    """Repeatable node positions: each connected group laid out by a seeded spring layout,
    groups side by side, largest first, actors without any interaction in rows underneath
    (laid out together with the rest they would squeeze it into a blob)."""
    simple = collapse(graph) if graph.is_multigraph() or graph.is_directed() else graph
    groups = sorted((sorted(c) for c in nx.connected_components(simple)), key=lambda c: (-len(c), c[0]))
    pos: dict = {}
    x = 0.0
    for group in (g for g in groups if len(g) > 1):
        size = len(group) ** 0.5
        sub = _spread(nx.spring_layout(simple.subgraph(group), k=2.4 / size, weight=None, seed=7, iterations=300,
                                       scale=size / 2), min_distance=0.8)
        for node, (px, py) in sub.items():
            pos[node] = (x + size / 2 + px, py)
        x += size + 0.6
    singles = [g[0] for g in groups if len(g) == 1]
    if singles:
        width = max(x - 0.6, 2.0)
        per_row = max(int(width / 0.9), 1)
        top = min((p[1] for p in pos.values()), default=0.0) - 0.9
        for i, node in enumerate(sorted(singles, key=lambda n: simple.nodes[n].get("label") or n)):
            row, col = divmod(i, per_row)
            count = min(per_row, len(singles) - row * per_row)
            pos[node] = (width * (col + 0.5) / count, top - 0.7 * row)
    return pos


def _spread(pos: dict, min_distance: float, rounds: int = 60) -> dict:
    """Push apart nodes closer than `min_distance` (a spring layout may stack a node on another's
    label); deterministic, a few rounds of pairwise nudges."""
    import numpy as np

    nodes = list(pos)
    xy = np.array([pos[n] for n in nodes], dtype=float)
    for _ in range(rounds):
        moved = False
        for i in range(len(nodes)):
            delta = xy[i] - xy[i + 1:]
            dist = np.hypot(delta[:, 0], delta[:, 1])
            for j in np.nonzero(dist < min_distance)[0]:
                d = dist[j]
                direction = delta[j] / d if d > 1e-9 else np.array([1.0, 0.0])
                push = (min_distance - d) / 2 * direction
                xy[i] += push
                xy[i + 1 + j] -= push
                moved = True
        if not moved:
            break
    return {n: tuple(p) for n, p in zip(nodes, xy)}


def draw(graph: nx.MultiDiGraph, ax=None, title: str | None = None, pos: Mapping | None = None):
    """Draw the network on a matplotlib axes (a new figure when None) and return the figure.

    Node colour = actor type, node size = mentions, edge colour = interaction, width = weight;
    one legend for actor types, one for interactions. Arabic labels are shaped and right-to-left.
    """
    from matplotlib.lines import Line2D

    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=_figure_size(graph))
    else:
        fig = ax.figure
    ax.set_axis_off()
    font = arabic_font()
    pos = dict(pos) if pos is not None else layout(graph)

    # one drawn edge per (pair, interaction); parallel interactions bend apart
    bundles: dict[tuple[str, str, str], dict] = {}
    for u, v, data in graph.edges(data=True):
        bundle = bundles.setdefault((u, v, data["interaction"]), {"weight": 0, "mutual": data["mutual"]})
        bundle["weight"] += data["weight"]
    bend = {"hostile": 0.12, "allied": 0.0, "reports_on": -0.12}
    top = max((b["weight"] for b in bundles.values()), default=1)
    for interaction in ("reports_on", "allied", "hostile"):
        chosen = [(u, v, b) for (u, v, kind), b in sorted(bundles.items()) if kind == interaction]
        if not chosen:
            continue
        sub = nx.DiGraph()
        sub.add_nodes_from(graph.nodes)
        sub.add_edges_from((u, v) for u, v, _ in chosen)
        widths = [0.8 + 5.0 * b["weight"] / top for _, _, b in chosen]
        nx.draw_networkx_edges(
            sub, pos, ax=ax, edgelist=[(u, v) for u, v, _ in chosen], width=widths,
            edge_color=INTERACTION_COLOURS[interaction], alpha=0.75 if interaction != "reports_on" else 0.45,
            arrows=True, arrowstyle="-" if interaction == "allied" else "-|>", arrowsize=14,
            style="dashed" if interaction == "reports_on" else "solid",
            connectionstyle=f"arc3,rad={bend[interaction]}", node_size=_node_sizes(graph, sub.nodes),
        )

    nodes = list(graph.nodes)
    sizes = _node_sizes(graph, nodes)
    nx.draw_networkx_nodes(graph, pos, ax=ax, nodelist=nodes, node_size=sizes,
                           node_color=[ACTOR_COLOURS.get(graph.nodes[x].get("type"), OTHER_COLOUR) for x in nodes],
                           edgecolors="#333333", linewidths=0.8)
    for node, size in zip(nodes, sizes):
        x, y = pos[node]
        # node_size is an area in points²: start the label just below the disc
        ax.annotate(node_text(graph.nodes[node]), (x, y), xytext=(0, -(size ** 0.5) / 2 - 2),
                    textcoords="offset points", ha="center", va="top", fontsize=9, family=[font, "DejaVu Sans"],
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75}, zorder=4)

    present_types = sorted({graph.nodes[x].get("type") or "" for x in nodes})
    type_handles = [Line2D([], [], marker="o", linestyle="", markersize=10, markeredgecolor="#333333",
                           markerfacecolor=ACTOR_COLOURS.get(t, OTHER_COLOUR), label=t or "other")
                    for t in present_types]
    present_kinds = [k for k in INTERACTIONS if any(kind == k for _, _, kind in bundles)]
    kind_handles = [Line2D([], [], color=INTERACTION_COLOURS[k], linewidth=3,
                           linestyle="--" if k == "reports_on" else "-", label=INTERACTION_LABELS[k])
                    for k in present_kinds]
    # legends outside the plot, on the right, so they never hide a node
    if type_handles:
        first = ax.legend(handles=type_handles, title="actor type (size = event mentions)", loc="upper left",
                          bbox_to_anchor=(1.01, 1.0), fontsize=10, frameon=False)
        ax.add_artist(first)
    if kind_handles:
        ax.legend(handles=kind_handles, title="interaction (width = events)", loc="lower left",
                  bbox_to_anchor=(1.01, 0.0), fontsize=10, frameon=False)
    if title:
        ax.set_title(title, fontsize=14)
    ax.margins(x=0.1, y=0.14)  # labels hang below the lowest nodes
    return fig


def _figure_size(graph: nx.Graph) -> tuple[float, float]:
    side = min(7 + len(graph) * 0.25, 20)
    return side * 1.35, side


def _node_sizes(graph: nx.Graph, nodes) -> list[float]:
    return [220 + 90 * min(graph.nodes[x].get("mentions", 1), 30) for x in nodes]


def write_png(graph: nx.MultiDiGraph, path: Path, title: str | None = None) -> None:
    """Draw the network into a PNG file. A bare Figure renders with Agg and needs no display;
    pyplot's global backend (e.g. a notebook's inline one) is left alone."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=_figure_size(graph))
    draw(graph, ax=fig.subplots(), title=title)
    fig.savefig(path, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})


# --------------------------------------------------------------------------------------------
# Interactive HTML (pyvis)
# --------------------------------------------------------------------------------------------

# pyvis's template links Bootstrap from a CDN whatever cdn_resources says; the view does not
# need it, and a file that fetches from the network does not open offline.
_REMOTE_TAG = re.compile(
    r"<link\b[^>]*\bhref\s*=\s*[\"']https?://[^>]*>|<script\b[^>]*\bsrc\s*=\s*[\"']https?://[^>]*>\s*</script>",
    re.IGNORECASE | re.DOTALL)
_REMOTE_REF = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']https?://", re.IGNORECASE)


def _legend_html(title: str | None) -> str:
    types = "".join(f'<span style="margin-right:12px"><span style="display:inline-block;width:12px;height:12px;'
                    f'border-radius:6px;background:{colour}"></span> {name}</span>'
                    for name, colour in ACTOR_COLOURS.items())
    kinds = "".join(f'<span style="margin-right:12px"><span style="display:inline-block;width:22px;height:4px;'
                    f'vertical-align:middle;background:{INTERACTION_COLOURS[k]}"></span> {INTERACTION_LABELS[k]}</span>'
                    for k in INTERACTIONS)
    heading = f'<h2 style="margin:4px 0">{escape(title)}</h2>' if title else ""
    return (f'<div id="legend" style="font-family:sans-serif;font-size:13px;margin:6px 10px">{heading}'
            f'<div>{types}</div><div style="margin-top:4px">{kinds}</div></div>')


def network_html(graph: nx.MultiDiGraph, title: str | None = None, height: str = "800px") -> str:
    """A self-contained interactive HTML view of the network (vis-network inlined by pyvis).

    Raises RuntimeError if the page would still load anything from the network.
    """
    from pyvis.network import Network

    # pyvis prints its heading twice; the title goes into the legend block instead
    net = Network(height=height, width="100%", directed=True, cdn_resources="in_line", heading="")
    top = max((d["weight"] for _, _, d in graph.edges(data=True)), default=1)
    for node, data in graph.nodes(data=True):
        label = "\n".join(x for x in (data.get("label_en"), data.get("label_ar")) if x)
        tip = (f"{data.get('label_en') or ''} {data.get('label_ar') or ''}\n{data.get('type') or 'actor'} · "
               f"{data.get('mentions', 0)} event mention(s)\n{node}")
        net.add_node(node, label=label or node, title=tip, color=ACTOR_COLOURS.get(data.get("type"), OTHER_COLOUR),
                     size=10 + 1.2 * min(data.get("mentions", 1), 20), shape="dot")
    for u, v, data in graph.edges(data=True):
        shown = data["events"][:10]
        tip = (f"{INTERACTION_LABELS[data['interaction']]}: {data['event_type'] or 'reports'} × {data['weight']}\n"
               + "\n".join(shown) + ("\n…" if len(data["events"]) > len(shown) else ""))
        options = {"title": tip, "color": INTERACTION_COLOURS[data["interaction"]],
                   "width": 1 + 6 * data["weight"] / top, "dashes": data["interaction"] == "reports_on"}
        if data["mutual"]:
            options["arrows"] = {"to": {"enabled": False}}
        net.add_edge(u, v, **options)
    net.set_options(json.dumps({
        "layout": {"randomSeed": 7},
        "physics": {"solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"gravitationalConstant": -120, "springLength": 160, "avoidOverlap": 0.6},
                    "stabilization": {"iterations": 400}},
        "edges": {"smooth": {"type": "curvedCW", "roundness": 0.15}},
        "nodes": {"font": {"size": 14, "face": "DejaVu Sans, Noto Sans Arabic, sans-serif"}},
        "interaction": {"hover": True, "navigationButtons": False},
    }))
    page = net.generate_html(notebook=False)
    page = _REMOTE_TAG.sub("", page)
    page = page.replace("<body>", "<body>\n" + _legend_html(title), 1)
    if _REMOTE_REF.search(page):
        raise RuntimeError("the network view still references a remote resource: " + _REMOTE_REF.search(page).group(0))
    return page
