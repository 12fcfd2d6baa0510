"""Actor networks on the seed graph: contents, filters, analysis, every output format, and the
interactive view rendered in a real headless Chromium."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata

import networkx as nx
import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from graph import network as net
from graph.build import build
from graph.cli import EXIT_USAGE, app
from graph.network import Filters, Participation
from graph.store import MemoryStore, OxigraphStore

from ..conftest import SEEDS

runner = CliRunner()

IS = "Islamic State"
SDF = "Syrian Democratic Forces"
MENTION = re.compile(r"^https://w3id\.org/eventkg/id/mention/[^/]+/\d+-\d+$")
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def store(nlp):
    built = MemoryStore()
    report = build([SEEDS], built, nlp=nlp)
    assert len(report.built) == 5 and not report.skipped
    return built


@pytest.fixture(scope="module")
def trig(store, tmp_path_factory):
    path = tmp_path_factory.mktemp("network") / "seeds.trig"
    store.write(path)
    return path


@pytest.fixture(scope="module")
def rows(store):
    return net.interactions(store)


@pytest.fixture(scope="module")
def graph(rows):
    return net.actor_network(rows)


def node(graph, label):
    return net.find_actor(graph, label)


def edges_between(graph, a, b, interaction=None):
    """Edge data between a and b in either direction."""
    found = []
    for u, v in ((a, b), (b, a)):
        for data in (graph.get_edge_data(u, v) or {}).values():
            if interaction is None or data["interaction"] == interaction:
                found.append(data)
    return found


# --- contents -------------------------------------------------------------------------------

def test_islamic_state_and_sdf_are_actors_with_both_labels(graph):
    for label, arabic in ((IS, "تنظيم الدولة الإسلامية"), (SDF, "قوات سوريا الديمقراطية")):
        data = graph.nodes[node(graph, label)]
        assert data["type"] == "ArmedGroup"
        assert data["label_ar"] == arabic
        assert data["mentions"] >= 2
        assert data["mentions"] >= max(data["as_agent"], data["as_target"], data["as_source"])
    # the Arabic label finds the same actor
    assert node(graph, "قوات سوريا الديمقراطية") == node(graph, SDF)


def test_sdf_and_islamic_state_have_a_hostile_edge(graph):
    hostile = edges_between(graph, node(graph, SDF), node(graph, IS), "hostile")
    assert hostile, "SDF and Islamic State fight each other in the seeds"
    assert all(d["event_type"] for d in hostile)


def test_every_edge_lists_the_events_behind_it(graph, rows):
    events_by_type = {r.event: r.type for r in rows}
    assert graph.number_of_edges() > 0
    for u, v, key, data in graph.edges(keys=True, data=True):
        assert u != v
        assert data["interaction"] in net.INTERACTIONS
        assert data["weight"] == len(data["events"]) == len(set(data["events"])) >= 1
        assert data["asserted"] + data["uncertain"] + data["negated"] == data["weight"]
        assert data["events"] == sorted(data["events"])
        for event in data["events"]:
            assert MENTION.match(event), event
            if data["event_type"]:
                assert events_by_type[event] == data["event_type"]
        assert key == ":".join(p for p in (data["interaction"], data["event_type"], "mutual" * data["mutual"]) if p)


def test_sources_report_on_actors(graph):
    sohr = node(graph, "Syrian Observatory for Human Rights")
    reports = [d for _, _, d in graph.out_edges(sohr, data=True) if d["interaction"] == "reports_on"]
    assert reports and graph.nodes[sohr]["as_source"] >= 1


def test_interaction_rules_on_written_rows():
    def part(event, kind, role, actor, certainty="asserted"):
        return Participation(event=f"https://w3id.org/eventkg/id/mention/a/{event}", type=kind, date=None,
                             certainty=certainty, article="a", role=role, actor=actor, actor_type="ArmedGroup",
                             label_en=actor, label_ar="")

    rows = [
        # «اشتباكات بين قسد وداعش»: two agents of a clash fight each other
        part("0-10", "ArmedClash", "agent", "sdf"), part("0-10", "ArmedClash", "agent", "is"),
        part("0-10", "ArmedClash", "source", "sohr"),
        # «تقدمت قسد والتحالف على حساب داعش»: co-agents are allies, both act on the target
        part("20-40", "TerritorialGain", "agent", "sdf"), part("20-40", "TerritorialGain", "agent", "coalition"),
        part("20-40", "TerritorialGain", "target", "is"), part("20-40", "TerritorialGain", "source", "sohr"),
        # the same SDF attack reported twice (two mentions): one edge, weight 2
        part("50-60", "Attack", "agent", "sdf"), part("50-60", "Attack", "target", "is"),
        part("70-80", "Attack", "agent", "sdf", "uncertain"), part("70-80", "Attack", "target", "is", "uncertain"),
        # an actor named as its own source does not loop
        part("90-99", "Attack", "agent", "sdf"), part("90-99", "Attack", "source", "sdf"),
    ]
    graph = net.actor_network(rows)
    clash = graph.get_edge_data("is", "sdf")["hostile:ArmedClash:mutual"]
    assert clash["mutual"] and clash["weight"] == 1
    assert graph.get_edge_data("coalition", "sdf")["allied:TerritorialGain:mutual"]["mutual"]
    assert set(graph.get_edge_data("sdf", "is")) == {"hostile:TerritorialGain", "hostile:Attack"}
    attack = graph.get_edge_data("sdf", "is")["hostile:Attack"]
    assert attack["weight"] == 2 and (attack["asserted"], attack["uncertain"]) == (1, 1)
    assert graph.get_edge_data("coalition", "is")["hostile:TerritorialGain"]["weight"] == 1
    assert graph.get_edge_data("sohr", "is")["reports_on"]["weight"] == 2
    assert not graph.has_edge("sdf", "sdf")
    assert graph.nodes["sdf"]["mentions"] == 5 and graph.nodes["sdf"]["as_source"] == 1


# --- filters --------------------------------------------------------------------------------

def test_type_filter_keeps_only_airstrikes(store):
    rows = net.interactions(store, Filters(event_type="Airstrike"))
    assert rows and {r.type for r in rows} == {"Airstrike"}
    graph = net.actor_network(rows)
    typed = [d for *_, d in graph.edges(data=True) if d["interaction"] != "reports_on"]
    assert typed and {d["event_type"] for d in typed} == {"Airstrike"}


def test_place_filter_includes_places_inside(store, rows):
    in_deir = {r.event for r in net.interactions(store, Filters(place="Deir ez-Zor"))}
    at_baghouz = {r.event for r in net.interactions(store, Filters(place="Baghouz"))}
    assert at_baghouz, "the seeds report events in Baghouz"
    assert at_baghouz <= in_deir, "Baghouz lies in Deir ez-Zor"
    assert in_deir < {r.event for r in rows}, "events elsewhere (Idlib) are left out"
    in_idlib = {r.event for r in net.interactions(store, Filters(place="إدلب"))}
    assert in_idlib - in_deir


def test_date_certainty_and_source_filters(store, rows):
    dated = net.interactions(store, Filters(date_from="2019-02-10", date_to="2019-02-28"))
    assert dated and all("2019-02-10" <= r.date <= "2019-02-28" for r in dated)
    assert {r.event for r in dated} < {r.event for r in rows if r.date}
    asserted = net.interactions(store, Filters(certainty="asserted"))
    assert asserted and {r.certainty for r in asserted} == {"asserted"}
    by_sohr = net.interactions(store, Filters(source="المرصد السوري لحقوق الإنسان"))
    sources = {}
    for r in by_sohr:
        if r.role == "source":
            sources.setdefault(r.event, set()).add(r.label_en)
    assert sources and all("Syrian Observatory for Human Rights" in s for s in sources.values())
    assert {r.event for r in by_sohr} == set(sources)


def test_filters_give_the_same_rows_on_oxigraph(store, trig):
    oxi = OxigraphStore()
    oxi.store.load(path=str(trig), format=ox.RdfFormat.TRIG)
    for filters in (Filters(), Filters(event_type="Airstrike"), Filters(place="Deir ez-Zor"),
                    Filters(source="Syrian Observatory for Human Rights", certainty="asserted"),
                    Filters(date_from="2019-03-01")):
        assert net.interactions(oxi, filters) == net.interactions(store, filters), filters


def _as_lists(graph: nx.MultiDiGraph) -> tuple[list, list]:
    return list(graph.nodes(data=True)), list(graph.edges(keys=True, data=True))


def test_materialised_network_is_the_network_of_every_mention(store, graph, trig):
    """The build writes the unfiltered network to its own graph; reading it back (what `eventkg
    network` does without filters) gives the network computed from the mentions, on both stores."""
    materialised = net.read_network(store)
    assert materialised is not None and materialised.number_of_edges() > 20
    assert _as_lists(materialised) == _as_lists(graph)
    assert _as_lists(net.network_from_store(store)) == _as_lists(graph)
    oxi = OxigraphStore()
    oxi.store.load(path=str(trig), format=ox.RdfFormat.TRIG)
    assert _as_lists(net.read_network(oxi)) == _as_lists(graph)
    # a filtered network is computed from the mentions, not from the materialised one
    strikes = net.network_from_store(store, Filters(event_type="Airstrike"))
    assert {d["event_type"] for _, _, d in strikes.edges(data=True)} <= {"Airstrike", ""}


def test_materialised_network_follows_the_store(store):
    """A store whose mentions changed gets the new network when it is materialised again."""
    copy = MemoryStore()
    for quad in store.dataset.quads((None, None, None, None)):
        copy.dataset.add(quad)
    assert _as_lists(net.read_network(copy)) == _as_lists(net.read_network(store))
    victim = next(iter(net.read_network(store).edges(data=True)))[2]["events"][0]
    for s, p, o, g in list(copy.dataset.quads((None, None, None, None))):
        if str(s) == victim:
            copy.dataset.remove((s, p, o, g))
    net.materialise_network(copy)
    after = net.read_network(copy)
    assert all(victim not in d["events"] for _, _, d in after.edges(data=True))
    assert _as_lists(after) == _as_lists(net.actor_network(net.interactions(copy)))


def test_a_graph_without_a_materialised_network_is_computed_from_mentions(store, graph):
    bare = MemoryStore()
    network_graph = str(net.network_graph_iri())
    for quad in store.dataset.quads((None, None, None, None)):
        if str(quad[3].identifier if hasattr(quad[3], "identifier") else quad[3]) != network_graph:
            bare.dataset.add(quad)
    assert net.read_network(bare) is None
    assert _as_lists(net.network_from_store(bare)) == _as_lists(graph)


@pytest.mark.parametrize("kwargs,message", [
    ({"date_from": "2019-13-01"}, "not a date"),
    ({"date_from": "2019-03-01", "date_to": "2019-02-01"}, "empty"),
    ({"certainty": "probable"}, "certainty"),
])
def test_bad_filters_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Filters(**kwargs)


def test_unknown_event_type_lists_the_known_ones(store):
    with pytest.raises(ValueError, match="Airstrike"):
        net.interactions(store, Filters(event_type="Airstrik"))


# --- analysis -------------------------------------------------------------------------------

def test_centrality_communities_and_ego_network(graph):
    rows = net.centrality(graph)
    assert {r["actor"] for r in rows} == set(graph.nodes)
    by_label = {r["label"]: r for r in rows}
    median = sorted(r["degree"] for r in rows)[len(rows) // 2]
    assert by_label[IS]["degree"] >= median and by_label[IS]["betweenness"] > 0

    found = net.communities(graph)
    assert set().union(*found) == set(graph.nodes)
    assert sum(len(c) for c in found) == len(graph)
    assert found == net.communities(graph), "seeded: the same split every time"

    ego = net.ego_network(graph, SDF)
    centre = node(graph, SDF)
    assert node(ego, IS) in ego
    undirected = nx.Graph(ego.to_undirected())
    assert all(nx.shortest_path_length(undirected, centre, n) <= 1 for n in ego)

    hostile = net.only(graph, {"hostile"})
    assert {d["interaction"] for *_, d in hostile.edges(data=True)} == {"hostile"}
    assert all(hostile.degree(n) > 0 for n in hostile)
    with pytest.raises(KeyError, match="no actor"):
        net.ego_network(graph, "No Such Actor")


# --- files ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def annotated(graph):
    return net.annotate(graph.copy())


@pytest.mark.parametrize("reader", [nx.read_gexf, nx.read_graphml], ids=["gexf", "graphml"])
def test_gexf_and_graphml_read_back(annotated, tmp_path, reader):
    suffix = ".gexf" if reader is nx.read_gexf else ".graphml"
    path = net.write_network(annotated, tmp_path / f"actors{suffix}")
    back = reader(path)
    assert set(back.nodes) == set(annotated.nodes)
    assert back.number_of_edges() == annotated.number_of_edges()
    sdf = node(annotated, SDF)
    assert back.nodes[sdf]["label_ar"] == "قوات سوريا الديمقراطية"
    assert back.nodes[sdf]["type"] == "ArmedGroup" and "community" in back.nodes[sdf]
    for u, v, key, data in back.edges(keys=True, data=True):
        original = annotated.edges[u, v, key]
        assert data["events"].split("|") == original["events"]
        assert float(data["weight"]) == original["weight"]
    assert path.read_bytes() == net.write_network(annotated, tmp_path / f"again{suffix}").read_bytes()


def test_json_node_link_reads_back(annotated, tmp_path):
    path = net.write_network(annotated, tmp_path / "actors.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    back = nx.node_link_graph(data, edges="edges")
    assert back.is_multigraph() and back.is_directed()
    assert nx.utils.graphs_equal(back, annotated)


def test_png_is_a_drawing(annotated, tmp_path):
    from PIL import Image

    path = net.write_network(annotated, tmp_path / "actors.png", title="seed actors")
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert width > 800 and height > 600
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    # node fills in the actor-type palette are actually painted
    painted = {rgb for _, rgb in colours}
    for kind in ("ArmedGroup", "StateForce"):
        hex_colour = net.ACTOR_COLOURS[kind]
        assert tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)) in painted, kind


def _isolated_to_base(char: str) -> str:
    # reshaper writes isolated letters as presentation forms; fonts draw them with the base glyph
    parts = unicodedata.decomposition(char).split()
    return chr(int(parts[1], 16)) if len(parts) == 2 and parts[0] == "<isolated>" else char


@pytest.mark.parametrize("arabic", ["قوات سوريا الديمقراطية", "تنظيم الدولة الإسلامية", "هيئة تحرير الشام",
                                    "جبهة النصرة في الباغوز"])
def test_arabic_labels_are_drawn_joined_and_right_to_left(arabic):
    """The glyphs matplotlib lays out for a label, left to right, are the joined letter forms in
    visual (right-to-left) order — not isolated letters, not reversed twice."""
    import arabic_reshaper
    from bidi import get_display
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font, LoadFlags

    drawn = net.node_text({"label_en": "", "label_ar": arabic})
    font = FT2Font(font_manager.findfont(net.arabic_font(), fallback_to_default=False))
    if net.matplotlib_shapes_text():
        glyphs = [item.glyph_index for item in font._layout(drawn, LoadFlags.NO_HINTING)]
    else:  # matplotlib without libraqm draws the characters it is given, left to right
        glyphs = [font.get_char_index(ord(c)) for c in drawn]
    expected = [font.get_char_index(ord(_isolated_to_base(c))) for c in get_display(arabic_reshaper.reshape(arabic))]
    assert 0 not in expected, "the font has every joined form"
    assert glyphs == expected


def test_html_is_self_contained(annotated, tmp_path):
    page = net.write_network(annotated, tmp_path / "actors.html").read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*[\"']?(https?:)?//", page, re.I)
    assert "vis.Network" in page
    assert len(page) > 300_000, "vis-network is inlined"
    nodes = json.loads(re.search(r"nodes = new vis\.DataSet\((\[.*?\])\);", page, re.S).group(1))
    labels = {n["id"]: n["label"] for n in nodes}
    assert set(labels) == set(annotated.nodes)
    assert labels[node(annotated, SDF)] == "Syrian Democratic Forces\nقوات سوريا الديمقراطية"


def test_html_renders_in_headless_chromium(annotated, tmp_path):
    assert shutil.which("chromium") or shutil.which(CHROMIUM), (
        "Debian's chromium is needed to check the interactive view: apt-get install -y chromium "
        "(.ci/run installs it)")
    page = net.write_network(annotated, tmp_path / "actors.html")
    profile = tmp_path / "chromium-profile"
    result = subprocess.run(
        [shutil.which("chromium") or CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    network_div = dom[dom.index('id="mynetwork"'):]
    assert re.search(r'class="vis-network"', network_div), "vis-network built its container"
    canvas = re.search(r"<canvas\b[^>]*\bwidth=\"(\d+)\"[^>]*\bheight=\"(\d+)\"", network_div) or \
        re.search(r"<canvas\b[^>]*\bheight=\"(\d+)\"[^>]*\bwidth=\"(\d+)\"", network_div)
    assert canvas and all(int(x) > 100 for x in canvas.groups()), "a sized canvas was drawn"


# --- command line ---------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", net.NETWORK_FORMATS)
def test_cli_network_writes_every_format(trig, tmp_path, suffix):
    out = tmp_path / f"net{suffix}"
    result = runner.invoke(app, ["network", "--graph", str(trig), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0 and "actor(s)" in result.output


def test_cli_network_filters_and_ego(trig, tmp_path):
    out = tmp_path / "ego.json"
    result = runner.invoke(app, ["network", "--graph", str(trig), "--place", "Deir ez-Zor", "--ego", SDF,
                                 "--interaction", "hostile", "--out", str(out)])
    assert result.exit_code == 0, result.output
    back = nx.node_link_graph(json.loads(out.read_text(encoding="utf-8")), edges="edges")
    assert node(back, SDF) in back
    assert {d["interaction"] for *_, d in back.edges(data=True)} <= {"hostile"}


@pytest.mark.parametrize("args,message", [
    (["--type", "Airstrik"], "not known"),
    (["--from", "2019-02-30"], "not a date"),
    (["--ego", "Nobody"], "no actor"),
    (["--interaction", "friendly"], "unknown interaction"),
])
def test_cli_network_usage_errors(trig, tmp_path, args, message):
    result = runner.invoke(app, ["network", "--graph", str(trig), "--out", str(tmp_path / "n.png"), *args])
    assert result.exit_code == EXIT_USAGE
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "n.png").exists()


def test_cli_network_rejects_unknown_extension(trig, tmp_path):
    result = runner.invoke(app, ["network", "--graph", str(trig), "--out", str(tmp_path / "n.svg")])
    assert result.exit_code == EXIT_USAGE and "unknown network format" in result.output
