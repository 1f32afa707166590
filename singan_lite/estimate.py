"""How long a training run will take on a 2-core CPU, said before it starts.

One cost model serves every preset: per iteration, a fixed part (the many small operations
every step runs, whatever the size) plus a part proportional to the pixels one step sees
times the scale's width squared (the convolutions' work). A recipe that trains on windows
(`TrainConfig.crop_size`) sees a window's pixels at the fine scales, not the whole scale's,
which is why it trains a large image in bounded time. Why: docs/design.md#training-on-windows

The command line announces `paper`'s cost with it, and the app's Train tab shows the
estimate for the chosen preset and size, at the speed it measured on its machine
(`MachineSpeed`, singan_lite/speed_probe.py). It is for a CPU only: on a GPU the networks are
too small for their arithmetic to set the pace (docs/design.md#on-a-gpu).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .config import TrainConfig
from .networks import scale_width
from .speed import SpeedPolicy, window_size


@dataclass(frozen=True)
class IterationCost:
    """Seconds per iteration: `fixed` + `per_work` x pixels a step sees x the scale's width squared."""

    fixed: float
    per_work: float


# In the measurements the recipes part by batch norm alone: its double backward in the gradient
# penalty roughly doubles both parts, while bf16 on windows (`quality`'s former recipe, with batch
# norm) and fp32 on whole scales (paper) came out alike with it. Each pair is a least-squares fit of
# the relative error per scale, rounded, to the per-scale costs of benchmarks/RESULTS.md:
# - without batch norm: "Training cost, `fast` preset, 188x250" (an Intel Xeon) and "Training
#   cost per scale, by machine" (an AMD EPYC), so that the estimate sits between the two kinds;
# - with batch norm: "Training cost, `paper` preset, 188x250" and "Training cost, `quality`
#   preset, 188x250" (its table of the former recipe, with batch norm).
# `paper` without batch norm was never measured; it gets the first pair and may come out short.
COST_WITHOUT_BATCH_NORM = IterationCost(fixed=0.047, per_work=9.0e-9)
COST_WITH_BATCH_NORM = IterationCost(fixed=0.063, per_work=2.1e-8)
# Steps whose halves run side by side (singan_lite/halves.py) took this share of their time in
# turn, the mean over `fast`'s scales 0 to 5 in whole runs on an AMD EPYC ("Training cost, `fast`
# preset, 188x250"); the fits above are of steps in turn.
HALVES_SHARE = 0.8
# Outside its iterations every scale runs whole-scale generator passes: its bank of coarser
# samples, each through every scale below it, and the finished scale's reconstruction and sample
# that the progress report shows. Small at 250 px, they are a tenth of a 1024 px run, whose
# fine scales train on windows but are sampled whole. Seconds per pixel times width squared of
# one pass, fitted to the time between scales in "Training large images" (benchmarks/RESULTS.md).
WHOLE_SCALE_PASS = 1.3e-9


@dataclass(frozen=True)
class MachineSpeed:
    """One machine's cost of an iteration against the fits above: the fixed part and the
    convolutions' part each as a multiple of the fitted one (1 and 1: the fits themselves).
    Machines of one kind differ by up to 2x, so a measured speed (singan_lite.speed_probe)
    makes the estimate fit the machine it runs on. Why: docs/design.md#an-estimate-measured-on-the-machine
    """

    fixed: float = 1.0
    work: float = 1.0


FITTED_SPEED = MachineSpeed()


def measured_speed_fits(config: TrainConfig) -> bool:
    """Whether a speed the probes measured applies to `config`: they time `fast`'s steps (bf16
    where the CPU has it, no batch norm), and an fp32 recipe or one with batch norm gains or
    loses differently from machine to machine (AMX speeds up bf16 alone), so its estimate stays
    the fitted one.
    """
    return config.bf16 and not config.batch_norm


def _step_seconds(
    config: TrainConfig, size: tuple[int, int], scale: int, width: int, speed: MachineSpeed
) -> tuple[float, float]:
    """One iteration of `scale` (of `size`, `width` channels) split into its fixed and its
    convolutions' part, at `speed`.
    """
    cost = COST_WITH_BATCH_NORM if config.batch_norm else COST_WITHOUT_BATCH_NORM
    height, window_width = window_size(size, config.crop_size)
    fakes = config.fakes_at(scale)
    share = HALVES_SHARE if SpeedPolicy.for_scale(config, torch.device("cpu"), size, fakes).steps_in_halves else 1.0
    work = height * window_width * fakes * width**2
    return share * cost.fixed * speed.fixed, share * cost.per_work * work * speed.work


def estimate_training_seconds(
    config: TrainConfig, sizes: Sequence[tuple[int, int]], first_scale: int = 0, speed: MachineSpeed = FITTED_SPEED
) -> float:
    """Estimated wall time on a 2-core CPU to train scales `first_scale`.. of a pyramid with `sizes`
    (e.g. `pyramid_for(config, height, width).sizes`) under `config`, on a machine of `speed`.
    """
    widths = [scale_width(n, config.base_width, config.max_width, config.double_every) for n in range(len(sizes))]
    # One pass through scales 0..n: the work of a whole-scale sample at scale n.
    passes, through = [], 0
    for (height, width), channels in zip(sizes, widths, strict=True):
        through += height * width * channels**2
        passes.append(through)
    seconds = 0.0
    for scale in range(first_scale, len(sizes)):
        step = sum(_step_seconds(config, sizes[scale], scale, widths[scale], speed))
        seconds += config.iterations_at(scale, len(sizes)) * step
        bank = config.sample_bank * passes[scale - 1] if config.sample_bank and scale > 0 else 0
        seconds += WHOLE_SCALE_PASS * speed.work * (bank + 2 * passes[scale])
    return seconds


def _first_scale_parts(config: TrainConfig, size: tuple[int, int], speed: MachineSpeed) -> tuple[float, float]:
    """The two parts of one iteration at scale 0 of a pyramid that starts at `size`."""
    width = scale_width(0, config.base_width, config.max_width, config.double_every)
    return _step_seconds(config, size, 0, width, speed)


def estimate_on_machine(
    config: TrainConfig, sizes: Sequence[tuple[int, int]], speed: MachineSpeed | None, first_scale: int = 0
) -> tuple[float, bool]:
    """`estimate_training_seconds` at `speed` where it fits the recipe (`measured_speed_fits`), else
    the fitted estimate; and whether it is the machine's own, so a caller can say which it gives.
    """
    measured = speed is not None and measured_speed_fits(config)
    return estimate_training_seconds(config, sizes, first_scale, speed if measured else FITTED_SPEED), measured


def probe_iteration_seconds(config: TrainConfig, size: tuple[int, int], speed: MachineSpeed = FITTED_SPEED) -> float:
    """The estimate of one iteration at scale 0 of a pyramid that starts at `size`: what a probe times."""
    return sum(_first_scale_parts(config, size, speed))


@dataclass(frozen=True)
class Probe:
    """A timed iteration of scale 0 of a one-scale pyramid of `size` under `config`."""

    config: TrainConfig
    size: tuple[int, int]
    seconds: float


def fit_machine_speed(small: Probe, large: Probe) -> MachineSpeed:
    """The speed at which the estimate of each probe's iteration is what it measured.

    `small` should be mostly fixed cost and `large` mostly convolutions; each gives one equation
    in the two multipliers. Where timing noise makes a multiplier come out not positive, both take
    the mean of the two probes' ratios to the fitted estimate instead.
    """
    (a, b), (c, d) = (_first_scale_parts(p.config, p.size, FITTED_SPEED) for p in (small, large))
    determinant = a * d - b * c
    fixed = (small.seconds * d - b * large.seconds) / determinant
    work = (a * large.seconds - c * small.seconds) / determinant
    if fixed > 0 and work > 0:
        return MachineSpeed(fixed, work)
    ratio = (small.seconds / (a + b) + large.seconds / (c + d)) / 2
    return MachineSpeed(ratio, ratio)


def describe_duration(seconds: float) -> str:
    """A duration as a person would say it: seconds, minutes or hours."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
