import itertools
import time

import pytest
import torch

from singan_lite import preset, train
from singan_lite.threads import PROBE_ITERATIONS, WINDOW, ThreadTuner, thread_runner

from .conftest import TINY_IMAGE


def _iteration_costing(seconds_at: dict[int, float]):
    """An iteration whose time depends on the thread count it runs at, as on a busy or an idle machine."""
    counts: list[int] = []

    def iteration() -> int:
        counts.append(torch.get_num_threads())
        time.sleep(seconds_at[counts[-1]])
        return counts[-1]

    return iteration, counts


@pytest.fixture(autouse=True)
def _keep_thread_count():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_on_a_busy_machine_the_tuner_keeps_one_thread_and_rarely_tries_two():
    # Beside a busy neighbour, two threads wait for each other: ten times slower here.
    iteration, counts = _iteration_costing({1: 0.002, 2: 0.02})
    tuner = ThreadTuner(max_threads=2)
    for _ in range(400):
        tuner.run(iteration)
    assert tuner.current == 1 and tuner.switches == []
    # Each probe of two threads stops after its first slow iteration, and the lost time
    # (18 ms a probe) is kept to a twentieth of the run: a probe every 360 ms or so.
    assert counts.count(2) <= 0.8 / 0.36 + 1
    assert all(not (a == b == 2) for a, b in itertools.pairwise(counts))


def test_on_an_idle_machine_the_tuner_soon_uses_every_thread_and_probes_less_and_less():
    iteration, counts = _iteration_costing({1: 0.006, 2: 0.002})
    tuner = ThreadTuner(max_threads=2)
    for _ in range(400):
        tuner.run(iteration)
    assert tuner.current == 2
    assert tuner.switches[0][0] <= 1 + WINDOW + PROBE_ITERATIONS
    # Probes that lose cost at most a twentieth of the time: a few percent of the iterations.
    assert counts.count(1) <= 0.06 * len(counts)


def test_the_tuner_follows_the_load_as_it_comes_and_goes():
    tuner = ThreadTuner(max_threads=2)
    busy, _ = _iteration_costing({1: 0.002, 2: 0.02})
    idle, _ = _iteration_costing({1: 0.006, 2: 0.002})
    for load, expected in ((idle, 2), (busy, 1), (idle, 2)):
        tuner.new_scale()
        for _ in range(200):
            tuner.run(load)
        assert tuner.current == expected


def test_threads_is_a_count_or_auto():
    assert isinstance(thread_runner("auto"), ThreadTuner)
    assert thread_runner(1) is None and torch.get_num_threads() == 1
    for wrong in (0, -2, 1.5, "many"):
        with pytest.raises(ValueError, match="positive whole number"):
            thread_runner(wrong)


def test_training_gives_the_thread_count_back_whether_fixed_or_tuned():
    config = preset("fast", max_size=40, min_size=16, iterations=6, coarsest_iterations=1.0)
    torch.set_num_threads(2)
    for threads in (1, "auto"):
        model = train(TINY_IMAGE, config, device="cpu", threads=threads)
        assert model.is_complete and torch.get_num_threads() == 2
