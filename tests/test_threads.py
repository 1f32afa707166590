import itertools
import time

import pytest
import torch

from singan_lite import preset, train
from singan_lite.threads import PROBE_ITERATIONS, WINDOW, ThreadTuner, thread_runner

from .conftest import TINY_IMAGE

Load = tuple[dict[int, float], dict[int, float]]

# Idle, two threads are three times as fast as one and get nearly all the CPU time. Beside a
# neighbour on two spinning threads, two threads are ten times slower than one and get half of
# it, and one thread gets four fifths of a core.
IDLE: Load = ({1: 0.006, 2: 0.002}, {1: 1.0, 2: 0.95})
BUSY: Load = ({1: 0.002, 2: 0.02}, {1: 0.8, 2: 0.5})


class _Machine:
    """A two-core machine under a load: each iteration's wall time and CPU time depend on the
    thread count it runs at. `cpu_clock` is the CPU time its tuner reads (a sleep uses none).
    """

    def __init__(self) -> None:
        self.cpu_seconds = 0.0
        self.counts: list[int] = []  # the thread count of every iteration run
        self.tuner = ThreadTuner(max_threads=2, cpu_clock=self.cpu_clock)

    def cpu_clock(self) -> float:
        return self.cpu_seconds

    def train(self, load: Load, iterations: int) -> None:
        """Run `iterations` through the tuner, each taking load[0][threads] seconds, in which
        each thread gets load[1][threads] of a core.
        """
        seconds_at, cpu_share_at = load

        def iteration() -> None:
            threads = torch.get_num_threads()
            self.counts.append(threads)
            started = time.perf_counter()
            time.sleep(seconds_at[threads])
            self.cpu_seconds += (time.perf_counter() - started) * threads * cpu_share_at[threads]

        for _ in range(iterations):
            self.tuner.run(iteration)


@pytest.fixture(autouse=True)
def _keep_thread_count():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_on_an_idle_machine_the_tuner_uses_every_thread_and_never_probes():
    machine = _Machine()
    machine.train(IDLE, 300)
    assert machine.tuner.current == 2 and machine.tuner.switches == []
    assert machine.counts.count(1) == 0


def test_on_a_busy_machine_the_tuner_leaves_two_threads_at_once_and_does_not_try_them_again():
    machine = _Machine()
    machine.train(BUSY, 400)
    assert machine.tuner.current == 1
    # Its first iteration (which allocates), a window at two threads and a probe of one.
    assert machine.tuner.switches == [(WINDOW + PROBE_ITERATIONS, 1)]
    # One thread gets four fifths of a core: the neighbour is still there, so no probe of two.
    assert machine.counts[1 + WINDOW + PROBE_ITERATIONS :].count(2) == 0


def test_beside_a_neighbour_on_one_thread_the_tuner_tries_two_threads_now_and_then():
    # One thread gets a whole core, so two threads might be faster again: the tuner probes them,
    # each probe stopping after its first slow iteration, and keeps their lost time (4 ms a probe)
    # to a twentieth of the run.
    machine = _Machine()
    machine.train(({1: 0.002, 2: 0.006}, {1: 1.0, 2: 0.67}), 400)
    assert machine.tuner.current == 1
    later = machine.counts[1 + WINDOW + PROBE_ITERATIONS :]
    assert 0 < later.count(2) <= 0.05 * 0.8 / 0.004 + 1
    assert all(not (a == b == 2) for a, b in itertools.pairwise(later))


def test_a_low_cpu_share_alone_does_not_leave_two_threads():
    # Two threads that get half the CPU time (a container's CPU quota, say) but are still faster
    # than one: the probes find that, and two threads stay.
    machine = _Machine()
    quota: Load = ({1: 0.004, 2: 0.003}, {1: 1.0, 2: 0.5})
    machine.train(quota, 200)
    assert machine.tuner.current == 2 and machine.tuner.switches == []
    # The probes go on (the share stays low), but their lost time stays near PROBE_SHARE's twentieth.
    lost = machine.counts.count(1) * (0.004 - 0.003)
    assert 0 < lost <= 0.06 * 0.003 * len(machine.counts)
    # A new scale on a machine that looks busy starts on one thread, and two soon come back.
    machine.tuner.new_scale()
    assert machine.tuner.current == 1
    machine.train(quota, 100)
    assert machine.tuner.current == 2


def test_where_one_thread_is_as_fast_a_busy_machine_moves_to_it():
    # Beside a neighbour, steps run as halves side by side take as long on one thread as on two;
    # the larger scales that follow are far faster on one, so the tuner takes one at once.
    machine = _Machine()
    machine.train(({1: 0.003, 2: 0.003}, {1: 0.8, 2: 0.5}), 100)
    assert machine.tuner.current == 1


def test_a_probe_the_cpu_share_holds_back_still_comes_when_long_overdue(monkeypatch):
    monkeypatch.setattr("singan_lite.threads.MAX_WAIT_SECONDS", 0.05)
    machine = _Machine()
    machine.train(BUSY, 100)
    machine.train(({1: 0.006, 2: 0.002}, {1: 0.5, 2: 0.95}), 100)
    # One thread's share said "busy" all along, yet two threads were faster: the late probe found it.
    assert machine.tuner.current == 2


def test_the_tuner_follows_the_load_as_it_comes_and_goes():
    machine = _Machine()
    for load, expected in ((IDLE, 2), (BUSY, 1), (IDLE, 2)):
        machine.tuner.new_scale()
        machine.train(load, 200)
        assert machine.tuner.current == expected


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
