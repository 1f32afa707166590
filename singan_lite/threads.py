"""How many threads to train with, chosen while training runs.

On an idle machine one thread per core is fastest. Beside another busy process it is the
slowest choice by far: every parallel region waits for a thread the scheduler has put
aside, while the waiting threads spin. One thread never waits for another. OpenMP's wait
policy cannot help at run time (it is read once, when the runtime starts), and a passive
policy slows the idle case, so the tuner switches only the thread count: it times the
training iterations it is given, tries the other count for a few of them when there is
reason to, and keeps whichever was faster. The reason is the process's own CPU time: idle,
its threads turn most of each wall second into CPU time; beside a neighbour the scheduler
shares the cores out. All threads probe one when they get much less than their share, one
thread probes all when it gets a whole core. So an idle machine trains at all threads and
all but never probes, and a busy one leaves them at once and seldom tries them again. Why:
docs/design.md#threads

Results depend slightly on the thread count (the convolutions add up in another order),
so a run with the tuner is not reproducible bit for bit; a fixed thread count is.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
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
# How much faster the other count must be to win, as a ratio of median iteration times. All
# threads probe one only when the CPU share says the machine is busy, so one thread needs only
# to be no slower to be chosen: where the two are equal (steps run as halves side by side do
# not spin), one thread is ready for the larger scales, where two spin and lose several times
# over. All threads must beat one clearly to come back.
LEAVE_ALL_THREADS = 1.0
RETURN_TO_ALL_THREADS = 0.9
# Probes that lose may cost at most this share of the training time: after one, the next waits
# until the time it wasted is this share of the time trained since. A lost probe of one thread
# costs a fraction of an iteration, one of all threads on a busy machine several iterations'
# worth, so the cheap ones come often and the dear ones seldom, whatever the scales' lengths.
PROBE_SHARE = 0.05
# At all threads, probe one thread only when the process got less than this share of the CPU time
# its threads could have had (CPU seconds over wall seconds times threads). Idle, two threads get
# at least three quarters (the halves of a step, singan_lite/halves.py, wait for each other now
# and then; OpenMP's spinning threads get all of it); beside one neighbour as busy, half.
BUSY_CPU_SHARE = 0.7
# At one thread, probe all threads only when the thread got at least this share of a core. Alone
# it gets all of it; beside a neighbour on two spinning threads, 0.7 to 0.96 (mostly under 0.9),
# and there a probe of two threads costs seconds at the scales whose steps spin.
ALONE_CPU_SHARE = 0.95
# The longest wait, so that one freak probe (a machine paused mid-probe) cannot stop probing; a
# probe the CPU share holds back also comes once it is this overdue, in case the share misleads.
MAX_WAIT_SECONDS = 30.0


class ThreadTuner:
    """Runs training iterations at the faster of one thread and all of them, as measured now."""

    def __init__(self, max_threads: int | None = None, cpu_clock: Callable[[], float] = time.process_time) -> None:
        self.counts = (1, max_threads or torch.get_num_threads())
        # Start with all threads: on an idle machine they stay, and on a busy one the first
        # window's CPU share calls the probe that leaves them.
        self.current = self.counts[1]
        self.switches: list[tuple[int, int]] = []  # (iteration, new count), for reports and tests
        self._iterations = 0
        self._wait = 0.0  # seconds to train at the current count before the next probe
        self._cpu_clock = cpu_clock  # the process's CPU seconds, all threads together
        self._busy = False  # whether all threads got less than BUSY_CPU_SHARE in their last window
        self.new_scale()

    @property
    def other(self) -> int:
        return self.counts[0] if self._at_all_threads else self.counts[1]

    @property
    def _at_all_threads(self) -> bool:
        return self.current == self.counts[1]

    def new_scale(self) -> None:
        """Forget the timings: a new scale's iterations cost something else.

        A busy machine starts the scale on one thread. Steps run as halves side by side cost
        the same on one thread or two beside a neighbour, so two may have won there, but at a
        scale whose steps spin two threads the first iterations on two can take several
        seconds each. The probes bring two threads back if they are faster.
        """
        if self._at_all_threads and self._busy:
            self.current = self.counts[0]
            self.switches.append((self._iterations, self.current))
        self._window: deque[tuple[float, float]] = deque(maxlen=WINDOW)  # (wall, CPU) s of iterations
        self._probe: list[float] | None = None
        self._skip = 1  # a scale's first iteration also allocates its buffers

    def run(self, iteration: Callable[[], Result]) -> Result:
        """Run one iteration at the count the tuner chooses, and learn from its time."""
        count = self.other if self._probe is not None else self.current
        if count != torch.get_num_threads():  # setting it resizes OpenMP's team: not every iteration
            torch.set_num_threads(count)
        started, cpu_started = time.perf_counter(), self._cpu_clock()
        result = iteration()
        self._record(time.perf_counter() - started, self._cpu_clock() - cpu_started)
        self._iterations += 1
        return result

    def _record(self, seconds: float, cpu_seconds: float) -> None:
        if self._skip:
            self._skip -= 1
            return
        if self._probe is None:
            self._window.append((seconds, cpu_seconds))
            self._wait -= seconds
            if len(self._window) < WINDOW or self.counts[0] == self.counts[1]:
                return
            share = self._cpu_share()
            if self._at_all_threads:
                self._busy = reason = share < BUSY_CPU_SHARE
            else:
                reason = share >= ALONE_CPU_SHARE
            if self._wait <= 0 and (reason or self._wait <= -MAX_WAIT_SECONDS):
                self._probe = []
            return
        self._probe.append(seconds)
        baseline = statistics.median(wall for wall, _ in self._window)
        if seconds > ABANDON_RATIO * baseline or len(self._probe) == PROBE_ITERATIONS:
            self._finish_probe(baseline)

    def _cpu_share(self) -> float:
        """The share of its threads' possible CPU time the process got over the last window."""
        wall, cpu = map(sum, zip(*self._window, strict=True))
        return cpu / (wall * self.current)

    def _finish_probe(self, baseline: float) -> None:
        probe, self._probe = self._probe, None
        margin = LEAVE_ALL_THREADS if self._at_all_threads else RETURN_TO_ALL_THREADS
        if len(probe) == PROBE_ITERATIONS and statistics.median(probe) < margin * baseline:
            self.current = self.other
            self.switches.append((self._iterations, self.current))
            # A probe back would lose about what this one won an iteration: wait as after such a
            # lost probe. Leaving two threads on a busy machine, that is one of its slow iterations.
            saved = baseline - statistics.median(probe)
            self._wait = min(MAX_WAIT_SECONDS, saved / PROBE_SHARE)
        else:
            wasted = max(0.0, sum(probe) - len(probe) * baseline)
            self._wait = min(MAX_WAIT_SECONDS, wasted / PROBE_SHARE)
        # Either way the next probe waits for a whole window at the current count: a probe that
        # cost nothing (the two counts equal) would otherwise follow the last at once.
        self._window.clear()


def thread_runner(threads: ThreadSetting) -> ThreadTuner | None:
    """A tuner for "auto"; for a number, that many threads fixed; None leaves torch's setting."""
    if threads == "auto":
        return ThreadTuner()
    if threads is not None:
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f'threads must be a positive whole number or "auto" (got {threads!r}).')
        torch.set_num_threads(threads)
    return None
