"""The evaluation on the seed development set, with floors below which CI fails."""
from __future__ import annotations

from pathlib import Path

import pytest

from extract.evaluation import evaluate_folder

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def table(nlp):
    return evaluate_folder(ROOT / "tests" / "gold", ROOT / "seeds", nlp=nlp)


def test_every_seed_is_scored(table):
    assert [row[0] for row in table.rows] == sorted(p.stem for p in (ROOT / "seeds").glob("*.txt")) + ["overall"]


def test_entity_f1_floor(table):
    assert table.total.entities.f1 >= 0.94


def test_event_f1_floor(table):
    assert table.total.events.f1 >= 0.79


def test_role_floor(table):
    assert table.total.role_micro.f1 >= 0.62


def test_killed_accuracy(table):
    assert table.total.killed_ok / table.total.pairs >= 0.9
