from __future__ import annotations

import threading

import pytest

from cairn.client.batching import BatchingLogger
from cairn.entities import Metric
from cairn.errors import InvalidParameter


class Recorder:
    def __init__(self, fail_on: str | None = None) -> None:
        self.points: list[tuple[str, Metric]] = []
        self.batch_sizes: list[int] = []
        self.fail_on = fail_on
        self.lock = threading.Lock()

    def __call__(self, run_id: str, points):  # type: ignore[no-untyped-def]
        if self.fail_on and any(p.key == self.fail_on for p in points):
            raise InvalidParameter(f"bad key {self.fail_on}")
        with self.lock:
            self.batch_sizes.append(len(points))
            self.points.extend((run_id, p) for p in points)


def test_log_metric_returns_before_sending_and_flush_sends_everything():
    sent = Recorder()
    logger = BatchingLogger(sent, linger=60)  # nothing would be sent without flush
    for i in range(2500):
        logger.log_metric("r", "m", float(i), 1, i)
    logger.flush()
    assert [p.step for _, p in sent.points] == list(range(2500))
    assert max(sent.batch_sizes) <= 1000


def test_points_from_many_threads_are_all_sent():
    sent = Recorder()
    logger = BatchingLogger(sent)

    def work(t: int) -> None:
        for i in range(5000):
            logger.log_metric("r", f"t{t}", float(i), 1, i)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    logger.flush()
    assert len(sent.points) == 40_000
    for t in range(8):
        assert sorted(p.step for _, p in sent.points if p.key == f"t{t}") == list(range(5000))


def test_a_failed_batch_is_raised_at_flush():
    logger = BatchingLogger(Recorder(fail_on="boom"), linger=60)
    logger.log_metric("r", "boom", 1.0, 1, 0)
    with pytest.raises(InvalidParameter, match="background metric batch failed"):
        logger.flush()
    logger.flush()  # raised once, then cleared


def test_a_failed_batch_is_raised_on_the_next_log_call():
    logger = BatchingLogger(Recorder(fail_on="boom"), linger=0.001)
    logger.log_metric("r", "boom", 1.0, 1, 0)
    with pytest.raises(InvalidParameter):
        for i in range(10_000_000):  # bounded: the error arrives within a few linger periods
            logger.log_metric("r", "ok", 1.0, 1, i)
            if i % 1000 == 0:
                threading.Event().wait(0.001)
