"""How many threads to train with, chosen while training runs.

On an idle machine one thread per core is fastest. Beside another busy process it is the
slowest choice by far: every parallel region waits for a thread the scheduler has put
aside, while the waiting threads spin. One thread never waits for another. OpenMP's wait
policy cannot help at run time (it is read once, when the runtime starts), and a passive
policy slows the idle case, so the tuner switches only the thread count: it times the
training iterations it is given, now and then tries the other count for a few of them,
and keeps whichever was faster. An idle machine reaches all its threads a few iterations
into each scale and loses only the probes. Why: docs/design.md#threads

Results depend slightly on the thread count (the convolutions add up in another order),
so a run with the tuner is not reproducible bit for bit; a fixed thread count is.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Literal, TypeVar

import torch

Result = TypeVar("Result")
ThreadSetting = int | Literal["auto"] | None

# Iterations timed at the current count before a probe, and the most a probe runs.
WINDOW = 5
PROBE_ITERATIONS = 3
# A probe iteration this much slower than the current count's median ends the probe at once,
# so trying all threads on a busy machine costs one slow iteration, not three.
ABANDON_RATIO = 1.5
# How much faster the other count must be to win, as a ratio of median iteration times. On an
# idle machine the two counts differ by less than iteration times wander from run to run,
# while beside a busy neighbour one thread is several times faster; so one thread must halve
# the time to be chosen, and all threads need only beat it clearly to come back.
LEAVE_ALL_THREADS = 0.5
RETURN_TO_ALL_THREADS = 0.9
# Probes that lose may cost at most this share of the training time: after one, the next waits
# until the time it wasted is this share of the time trained since. A lost probe is cheap on an
# idle machine (a fraction of an iteration) and dear on a busy one (several iterations' worth),
# so idle machines probe often and busy ones seldom, whatever the scales' lengths.
PROBE_SHARE = 0.05
# The longest wait, so that one freak probe (a machine paused mid-probe) cannot stop probing.
MAX_WAIT_SECONDS = 30.0


class ThreadTuner:
    """Runs training iterations at the faster of one thread and all of them, as measured now."""

    def __init__(self, max_threads: int | None = None) -> None:
        self.counts = (1, max_threads or torch.get_num_threads())
        # Start with one thread: on a busy machine all threads cost several times as much per
        # iteration, on an idle one one thread costs a fraction more, until the first probe.
        self.current = self.counts[0]
        self.switches: list[tuple[int, int]] = []  # (iteration, new count), for reports and tests
        self._iterations = 0
        self._wait = 0.0  # seconds to train at the current count before the next probe
        self.new_scale()

    @property
    def other(self) -> int:
        return self.counts[0] if self.current == self.counts[1] else self.counts[1]

    def new_scale(self) -> None:
        """Forget the timings: a new scale's iterations cost something else."""
        self._times: list[float] = []
        self._probe: list[float] | None = None
        self._skip = 1  # a scale's first iteration also allocates its buffers

    def run(self, iteration: Callable[[], Result]) -> Result:
        """Run one iteration at the count the tuner chooses, and learn from its time."""
        count = self.other if self._probe is not None else self.current
        if count != torch.get_num_threads():  # setting it resizes OpenMP's team: not every iteration
            torch.set_num_threads(count)
        started = time.perf_counter()
        result = iteration()
        self._record(time.perf_counter() - started)
        self._iterations += 1
        return result

    def _record(self, seconds: float) -> None:
        if self._skip:
            self._skip -= 1
            return
        if self._probe is None:
            self._times = [*self._times, seconds][-WINDOW:]
            self._wait -= seconds
            if self._wait <= 0 and len(self._times) == WINDOW and self.counts[0] != self.counts[1]:
                self._probe = []
            return
        self._probe.append(seconds)
        baseline = statistics.median(self._times)
        if seconds > ABANDON_RATIO * baseline or len(self._probe) == PROBE_ITERATIONS:
            self._finish_probe(baseline)

    def _finish_probe(self, baseline: float) -> None:
        probe, self._probe = self._probe, None
        margin = LEAVE_ALL_THREADS if self.current == self.counts[1] else RETURN_TO_ALL_THREADS
        if len(probe) == PROBE_ITERATIONS and statistics.median(probe) < margin * baseline:
            self.current = self.other
            self.switches.append((self._iterations, self.current))
            self._times = probe[:]
            self._wait = 0.0
        else:
            wasted = max(0.0, sum(probe) - len(probe) * baseline)
            self._wait = min(MAX_WAIT_SECONDS, wasted / PROBE_SHARE)


def thread_runner(threads: ThreadSetting) -> ThreadTuner | None:
    """A tuner for "auto"; for a number, that many threads fixed; None leaves torch's setting."""
    if threads == "auto":
        return ThreadTuner()
    if threads is not None:
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f'threads must be a positive whole number or "auto" (got {threads!r}).')
        torch.set_num_threads(threads)
    return None
