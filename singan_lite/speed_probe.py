"""This machine's training speed, measured in about two seconds, so that the estimate fits it.

Two probes time real training iterations of `fast`: its scale 0 (16x22 px, four fakes a step),
where the many small operations set the pace, and one 96x96 px scale, the window its fine
scales train on, where the convolutions do. `estimate.fit_machine_speed` rescales the
estimate's two parts to fit both. The probes choose their threads as the app's training does
(singan_lite.threads, "auto"), so a busy machine measures the pace its training would keep. A
machine too busy to finish the probes within a few seconds gets no measured speed, and its
estimate stays the fitted one.
Why: docs/design.md#an-estimate-measured-on-the-machine
"""

from __future__ import annotations

import dataclasses
import functools
import statistics
import time

import torch

from .config import TrainConfig, preset
from .estimate import MachineSpeed, Probe, fit_machine_speed
from .model import SinGAN, make_rng
from .pyramid import plan_pyramid
from .threads import ThreadTuner
from .training import ScaleTrainer

SMALL_PROBE = (16, 22)
LARGE_PROBE = (96, 96)
# Iterations run before the timed ones: the first build oneDNN's kernels for the shapes.
WARM_UP = 2
# Seconds both probes may take together; they take about two on an idle 2-core machine.
PROBE_BUDGET = 6.0


class ProbeOverBudgetError(Exception):
    """The probes ran past their budget: the machine is too busy now to be measured."""


def time_iteration(config: TrainConfig, size: tuple[int, int], repeats: int, deadline: float) -> float:
    """The median seconds of `repeats` iterations at scale 0 of a one-scale pyramid of `size`,
    trained on noise (the cost does not depend on the picture), after WARM_UP untimed ones.
    Raises ProbeOverBudgetError once `time.perf_counter()` passes `deadline`.
    """
    height, width = size
    plan = plan_pyramid(height, width, min(size), max(size), config.scale_factor, refit=True)
    real = torch.rand(1, 3, height, width) * 2 - 1
    model = SinGAN(config, plan, real, torch.randn(1, 1, height, width))
    trainer = ScaleTrainer(model, 0, real, make_rng(config.seed))
    threads_before = torch.get_num_threads()
    tuner = ThreadTuner()
    tuner.new_scale()
    seconds = []
    try:
        for _ in range(WARM_UP + repeats):
            started = time.perf_counter()
            tuner.run(trainer.iteration)
            seconds.append(time.perf_counter() - started)
            if time.perf_counter() > deadline:
                raise ProbeOverBudgetError
    finally:
        torch.set_num_threads(threads_before)
    return statistics.median(seconds[WARM_UP:])


def measure_machine_speed(repeats: int = 5, budget: float = PROBE_BUDGET) -> MachineSpeed | None:
    """This machine's speed now, from `repeats` timed iterations of each probe; None when the
    probes take more than `budget` seconds.
    """
    deadline = time.perf_counter() + budget
    fast = preset("fast")
    large = dataclasses.replace(fast, coarsest_batch=1)
    try:
        return fit_machine_speed(
            Probe(fast, SMALL_PROBE, time_iteration(fast, SMALL_PROBE, repeats, deadline)),
            Probe(large, LARGE_PROBE, time_iteration(large, LARGE_PROBE, repeats, deadline)),
        )
    except ProbeOverBudgetError:
        return None


@functools.cache
def machine_speed() -> MachineSpeed | None:
    """This machine's speed, measured once per process (None: too busy to measure then); the
    app's estimates and its default training size read it.
    """
    return measure_machine_speed()
