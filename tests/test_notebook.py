"""The analyst's notebook runs top to bottom headless (nbclient) and produces what it promises:
tables of the canned queries, the actor network with the expected actors, its drawings and files."""
from __future__ import annotations

import json
import re

import networkx as nx
import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "actor_network.ipynb"
SDF = "Syrian Democratic Forces"
IS = "Islamic State"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """(the executed notebook, its output folder)."""
    out = tmp_path_factory.mktemp("notebook-out")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EVENTKG_NOTEBOOK_OUT", str(out))   # the kernel inherits it
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return notebook, out


def cell(notebook, tag):
    found = [c for c in notebook.cells if tag in c.metadata.get("tags", [])]
    assert len(found) == 1, f"one cell tagged {tag!r}"
    return found[0]


def text_of(code_cell) -> str:
    parts = []
    for output in code_cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("display_data", "execute_result"):
            parts.append(output.data.get("text/html") or output.data.get("text/markdown") or output.data.get("text/plain", ""))
    return "\n".join(parts)


def images(code_cell) -> int:
    return sum(1 for o in code_cell.outputs if o.output_type in ("display_data", "execute_result") and "image/png" in o.data)


def test_committed_notebook_holds_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    prose = [c for c in notebook.cells if c.cell_type == "markdown"]
    assert len(prose) >= len(code), "every step is explained"


def test_it_builds_the_seeds_and_shows_the_query_tables(executed):
    notebook, _ = executed
    assert "built 5 article(s)" in text_of(cell(notebook, "build"))
    who = text_of(cell(notebook, "who-did-what"))
    assert "<table" in who and "Airstrike" in who and SDF in who
    according = text_of(cell(notebook, "according-to"))
    assert "Syrian Observatory for Human Rights" in according and "<table" in according
    claims = text_of(cell(notebook, "conflicting-claims"))
    assert "<table" in claims or "conflicting" in claims.lower()


def test_the_network_has_the_expected_actors(executed):
    notebook, out = executed
    actors = text_of(cell(notebook, "actors"))
    for name in (SDF, IS, "قوات سوريا الديمقراطية"):
        assert name in actors
    assert re.search(r"\d+ actors, \d+ interaction edges", actors)
    graph = nx.node_link_graph(json.loads((out / "actor_network.json").read_text(encoding="utf-8")), edges="edges")
    by_label = {d["label_en"]: n for n, d in graph.nodes(data=True) if d["label_en"]}
    sdf, isis = by_label[SDF], by_label[IS]
    hostile = [d for u, v in ((sdf, isis), (isis, sdf)) for d in (graph.get_edge_data(u, v) or {}).values()
               if d["interaction"] == "hostile"]
    assert hostile and all(d["events"] for d in hostile)
    assert "<table" in text_of(cell(notebook, "centrality"))
    assert nx.read_gexf(out / "actor_network.gexf").number_of_nodes() == graph.number_of_nodes()


def test_drawings_are_produced(executed):
    from PIL import Image

    notebook, out = executed
    assert images(cell(notebook, "drawing")) == 1
    with Image.open(out / "actor_network.png") as png:
        assert png.format == "PNG" and png.size[0] > 800
    assert images(cell(notebook, "fighting")) == 2
    assert images(cell(notebook, "timeline")) == 1
    places = cell(notebook, "places")
    assert images(places) == 1
    assert re.search(r"\d+ event mention\(s\) in Deir ez-Zor or places inside it", text_of(places))


def test_interactive_view_is_written_self_contained(executed):
    notebook, out = executed
    page = (out / "actor_network.html").read_text(encoding="utf-8")
    assert str(out / "actor_network.html") in text_of(cell(notebook, "html"))
    assert "vis.Network" in page
    assert not re.search(r"<(script|link)\b[^>]*\b(src|href)\s*=\s*[\"']?(https?:)?//", page, re.I)
