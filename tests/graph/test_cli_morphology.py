"""`--morphology-db` on build and evaluate, with the hand-made mini database of the morphology tests."""
from __future__ import annotations

from pathlib import Path

from rdflib import Dataset, Literal
from typer.testing import CliRunner

from graph.cli import EXIT_USAGE, app

runner = CliRunner()
MINI_DB = Path(__file__).resolve().parents[1] / "extract" / "data" / "mini_morph.db"
# «قصفنا» is not in the trigger lexicon: only its lemma قصف (from the database) makes it an event
TEXT = "قال قائد في الجيش الحر: قصفنا مواقع قوات النظام في ريف حماة.\n"


def _triggers(path: Path) -> set[str]:
    ds = Dataset()
    ds.parse(path, format="trig")
    return {str(o) for _, p, o, _ in ds.quads() if p.endswith("#trigger") and isinstance(o, Literal)}


def test_build_uses_the_database(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    plain, morph = tmp_path / "plain.trig", tmp_path / "morph.trig"
    assert runner.invoke(app, ["build", str(tmp_path / "a.txt"), "--out", str(plain)]).exit_code == 0
    result = runner.invoke(app, ["build", str(tmp_path / "a.txt"), "--out", str(morph), "--morphology-db", str(MINI_DB)])
    assert result.exit_code == 0, result.output
    assert "قصفنا" not in _triggers(plain)
    assert "قصفنا" in _triggers(morph)


def test_a_missing_database_is_a_usage_error_naming_it(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    missing = tmp_path / "nowhere.db"
    for args in (["build", str(tmp_path / "a.txt"), "--out", str(tmp_path / "g.trig")],
                 ["evaluate", "--gold", str(tmp_path), "--articles", str(tmp_path)]):
        result = runner.invoke(app, [*args, "--morphology-db", str(missing)])
        assert result.exit_code == EXIT_USAGE
        assert "nowhere.db" in result.output
    assert not (tmp_path / "g.trig").exists()
