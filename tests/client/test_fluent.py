from __future__ import annotations

import math
import threading
from pathlib import Path

import pytest

import cairn
from cairn.entities import ViewType
from cairn.errors import InvalidParameter, NotFound
from tests import backends


def test_start_run_logs_params_metrics_tags_and_ends_finished(store_dir):
    cairn.set_experiment("demo")
    with cairn.start_run(run_name="r1") as run:
        cairn.log_param("lr", 0.1)
        cairn.log_params({"depth": 3, "seed": 7})
        for step in range(5):
            cairn.log_metric("loss", 1 / (step + 1), step=step)
        cairn.log_metrics({"acc": 0.9, "f1": 0.8})
        cairn.set_tag("team", "a")
    got = cairn.get_run(run.run_id)
    assert got.info.status == "FINISHED" and got.info.end_time is not None
    assert got.data.params == {"lr": "0.1", "depth": "3", "seed": "7"}
    assert got.data.metrics["loss"].value == pytest.approx(0.2) and got.data.metrics["loss"].step == 4
    assert got.data.tags["team"] == "a"
    history = cairn.Client().get_metric_history(run.run_id, "loss")
    assert [p.step for p in history] == [0, 1, 2, 3, 4]


def test_exception_in_run_block_marks_run_failed(store_dir):
    with pytest.raises(RuntimeError):
        with cairn.start_run() as run:
            raise RuntimeError("boom")
    assert cairn.get_run(run.run_id).info.status == "FAILED"


def test_nested_runs_record_their_parent(store_dir):
    with cairn.start_run() as parent:
        with cairn.start_run(nested=True) as child:
            assert cairn.active_run().run_id == child.run_id
        assert cairn.active_run().run_id == parent.run_id
    assert cairn.get_run(child.run_id).data.tags["mlflow.parentRunId"] == parent.run_id


def test_starting_a_second_run_without_nested_is_refused(store_dir):
    with cairn.start_run():
        with pytest.raises(InvalidParameter, match="nested=True"):
            cairn.start_run()


def test_eight_threads_logging_ten_thousand_points_each_lose_nothing(store_dir):
    with cairn.start_run() as run:
        def work(t: int) -> None:
            for i in range(10_000):
                cairn.log_metric(f"thread{t}", float(i), step=i)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    client = cairn.Client()
    for t in range(8):
        history = client.get_metric_history(run.run_id, f"thread{t}")
        assert [p.step for p in history] == list(range(10_000))


def test_error_in_a_background_batch_surfaces_at_end_run(store_dir, monkeypatch):
    client = cairn.Client()
    run = cairn.start_run()
    cairn.log_metric("ok", 1.0)
    cairn.flush()
    # Delete the run behind the logger's back: the next batch is refused by the store.
    client.delete_run(run.run_id)
    cairn.log_metric("late", 2.0)
    with pytest.raises(InvalidParameter, match="background metric batch failed"):
        cairn.end_run()
    assert cairn.active_run() is None


def test_nan_and_inf_metrics_round_trip_through_the_sdk(store_dir):
    with cairn.start_run() as run:
        cairn.log_metric("n", math.nan)
        cairn.log_metric("i", math.inf)
    data = cairn.get_run(run.run_id).data
    assert math.isnan(data.metrics["n"].value) and data.metrics["i"].value == math.inf


def test_artifacts_text_dict_file_and_folder(store_dir, tmp_path: Path):
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "a.txt").write_text("A")
    (tmp_path / "dir" / "sub" / "b.txt").write_text("B")
    (tmp_path / "single.csv").write_text("x,y\n1,2\n")
    with cairn.start_run() as run:
        cairn.log_text("hello", "notes/hello.txt")
        cairn.log_dict({"a": 1}, "config.json")
        cairn.log_artifact(tmp_path / "single.csv", "data")
        cairn.log_artifacts(tmp_path / "dir", "tree")
    client = cairn.Client()
    top = {f.path: f.is_dir for f in client.list_artifacts(run.run_id)}
    assert top == {"config.json": False, "data": True, "notes": True, "tree": True}
    assert [f.path for f in client.list_artifacts(run.run_id, "tree")] == ["tree/a.txt", "tree/sub"]
    out = client.download_artifacts(run.run_id, "tree", tmp_path / "out")
    assert (out / "sub" / "b.txt").read_text() == "B"
    assert (client.download_artifacts(run.run_id, "notes/hello.txt", tmp_path / "o2")).read_text() == "hello"


def test_log_figure_stores_a_png(store_dir):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    with cairn.start_run() as run:
        cairn.log_figure(fig, "plots/curve.png")
    plt.close(fig)
    files = cairn.Client().list_artifacts(run.run_id, "plots")
    assert files[0].path == "plots/curve.png" and files[0].file_size > 100


@pytest.mark.parametrize("path", ["../escape.txt", "/abs.txt", "a\\b.txt", "a/../../b.txt", "x\x00y"])
def test_artifact_paths_escaping_the_run_are_refused(store_dir, path):
    with cairn.start_run():
        with pytest.raises(InvalidParameter):
            cairn.log_text("x", path)


def test_search_runs_returns_a_dataframe_ordered_by_metric(store_dir):
    cairn.set_experiment("search")
    for lr, acc in [(0.1, 0.7), (0.2, 0.9), (0.3, 0.8)]:
        with cairn.start_run():
            cairn.log_param("lr", lr)
            cairn.log_metric("acc", acc)
    frame = cairn.search_runs(filter_string="metrics.acc > 0.75", order_by=["metrics.acc DESC"])
    assert list(frame["params.lr"]) == ["0.2", "0.3"]
    runs = cairn.search_runs(filter_string="params.lr = '0.1' OR params.lr = '0.3'", output_format="list")
    assert sorted(r.data.params["lr"] for r in runs) == ["0.1", "0.3"]


def test_search_runs_on_deleted_view(store_dir):
    with cairn.start_run() as run:
        pass
    cairn.Client().delete_run(run.run_id)
    assert cairn.search_runs(output_format="list") == []
    assert len(cairn.search_runs(output_format="list", run_view_type=ViewType.ALL)) == 1


def test_get_missing_run_is_not_found(store_dir):
    with pytest.raises(NotFound):
        cairn.get_run("f" * 32)


def test_interpreter_exit_flushes_queued_points_and_ends_the_run(tmp_path: Path):
    with backends.embedded_store(tmp_path / "exit-store") as store:
        _exit_flushes(store)


def _exit_flushes(store: str) -> None:
    import subprocess
    import sys

    script = (
        "import cairn\n"
        f"cairn.set_tracking_uri({store!r})\n"
        "run = cairn.start_run(capture=False)\n"
        "print(run.run_id)\n"
        "for i in range(5000):\n"
        "    cairn.log_metric('loss', 1.0 / (i + 1), step=i)\n"
        # no end_run, no flush: the process simply ends
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    run_id = out.stdout.strip()
    client = cairn.Client(tracking_uri=store)
    assert client.get_run(run_id).info.status == "FINISHED"
    assert [p.step for p in client.get_metric_history(run_id, "loss")] == list(range(5000))
    from cairn.client import tracking_uri

    tracking_uri.close_all()
