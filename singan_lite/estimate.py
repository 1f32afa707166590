"""How long a training run will take on a 2-core CPU, said before it starts.

One cost model serves every preset: per iteration, a fixed part (the many small operations
every step runs, whatever the size) plus a part proportional to the pixels one step sees
times the scale's width squared (the convolutions' work). A recipe that trains on windows
(`TrainConfig.crop_size`) sees a window's pixels at the fine scales, not the whole scale's,
which is why it trains a large image in bounded time. Why: docs/design.md#training-on-windows

The command line announces `paper`'s cost with it, and the app's Train tab shows the
estimate for the chosen preset and size. It is for a CPU only: on a GPU the networks are
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

    def seconds(self, pixels: int, width: int) -> float:
        return self.fixed + self.per_work * pixels * width**2


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


def estimate_training_seconds(config: TrainConfig, sizes: Sequence[tuple[int, int]], first_scale: int = 0) -> float:
    """Estimated wall time on a 2-core CPU to train scales `first_scale`.. of a pyramid with `sizes`
    (e.g. `pyramid_for(config, height, width).sizes`) under `config`.
    """
    cost = COST_WITH_BATCH_NORM if config.batch_norm else COST_WITHOUT_BATCH_NORM
    widths = [scale_width(n, config.base_width, config.max_width, config.double_every) for n in range(len(sizes))]
    # One pass through scales 0..n: the work of a whole-scale sample at scale n.
    passes, through = [], 0
    for (height, width), channels in zip(sizes, widths, strict=True):
        through += height * width * channels**2
        passes.append(through)
    seconds = 0.0
    for scale in range(first_scale, len(sizes)):
        height, width = window_size(sizes[scale], config.crop_size)
        fakes = config.fakes_at(scale)
        step = cost.seconds(height * width * fakes, widths[scale])
        if SpeedPolicy.for_scale(config, torch.device("cpu"), sizes[scale], fakes).steps_in_halves:
            step *= HALVES_SHARE
        seconds += config.iterations_at(scale, len(sizes)) * step
        bank = config.sample_bank * passes[scale - 1] if config.sample_bank and scale > 0 else 0
        seconds += WHOLE_SCALE_PASS * (bank + 2 * passes[scale])
    return seconds


def describe_duration(seconds: float) -> str:
    """A duration as a person would say it: seconds, minutes or hours."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
