"""Extraction off the main process: records pickle, batches come back in order, and builds on a
local process pool or a local Dask cluster give the same graph as the single-process build."""
from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from extract.pipeline import ArticleFailure
from graph.cli import EXIT_USAGE, app
from graph.distributed import ClusterError, parse_address, process_pool, run_ordered

from ..conftest import SEEDS

runner = CliRunner()


def nquads(path) -> set[str]:
    return {str(q) for q in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS)}


def test_records_survive_pickling(seed_records):
    # what crossing a process boundary needs: frozen records come back equal
    for record in seed_records.values():
        assert pickle.loads(pickle.dumps(record)) == record


def test_run_ordered_keeps_input_order_and_reports_lost_batches(seed_articles):
    articles = seed_articles * 3   # 15 articles, batches of 2

    def work(batch):
        if any(a.id.startswith("002") for a in batch):   # the whole task fails, as when a worker dies
            raise ConnectionError("worker lost")
        return [a.id for a in batch]

    with ThreadPoolExecutor(3) as pool:
        results = list(run_ordered(lambda b: pool.submit(work, b), articles, batch_size=2, window=3))
    assert len(results) == len(articles)
    lost = {i for i in range(len(articles)) if any(a.id.startswith("002") for a in articles[i // 2 * 2:i // 2 * 2 + 2])}
    assert lost == {2, 3, 6, 7, 12, 13}
    for i, (article, result) in enumerate(zip(articles, results)):
        if i in lost:
            assert isinstance(result, ArticleFailure) and result.id == article.id
            assert result.reason == "worker failed: ConnectionError: worker lost"
        else:
            assert result == article.id


@pytest.mark.parametrize("address,expected", [("local:2", ("local", 2)), ("tcp://127.0.0.1:8786", ("tcp://127.0.0.1:8786", None))])
def test_parse_address(address, expected):
    assert parse_address(address) == expected


@pytest.mark.parametrize("address", ["local:0", "local", "127.0.0.1:8786", "http://x y"])
def test_bad_dask_address_is_a_usage_error(address, tmp_path):
    with pytest.raises(ClusterError):
        parse_address(address)
    result = runner.invoke(app, ["build", str(SEEDS), "--out", str(tmp_path / "g.nq"), "--dask", address])
    assert result.exit_code == EXIT_USAGE and address in result.output


def test_processes_and_dask_are_exclusive(tmp_path):
    result = runner.invoke(app, ["build", str(SEEDS), "--out", str(tmp_path / "g.nq"),
                                 "--processes", "2", "--dask", "local:2"])
    assert result.exit_code == EXIT_USAGE


def test_process_pool_gives_the_same_records(seed_articles, seed_records):
    with process_pool(2, batch_size=2) as extract:
        records = list(extract(seed_articles))
    assert [r.id for r in records] == [a.id for a in seed_articles]
    assert {r.id: r for r in records} == seed_records


def test_dask_local_cluster_build_equals_single_process_build(tmp_path):
    single, on_dask = tmp_path / "single.nq", tmp_path / "dask.nq"
    first = runner.invoke(app, ["build", str(SEEDS), "--out", str(single)])
    assert first.exit_code == 0, first.output
    result = runner.invoke(app, ["build", str(SEEDS), "--out", str(on_dask), "--dask", "local:2"])
    assert result.exit_code == 0, result.output
    assert "built 5 article(s)" in result.output
    assert nquads(on_dask) == nquads(single)
    assert on_dask.read_bytes() == single.read_bytes()
