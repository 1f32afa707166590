"""Training cost: wall time, seconds per iteration at every scale, and peak memory.

    python -m benchmarks.train_time --preset fast                  # full run, 250 px
    python -m benchmarks.train_time --preset paper --iters 6       # paper's per-scale cost
    python -m benchmarks.train_time --iters 25 --set min_size=20 --name fast_20px   # a recipe

With --iters the preset's iteration count is replaced, which measures seconds per
iteration without waiting hours for the paper preset; the wall time is then
extrapolated to the preset's own iteration counts and marked as such. Such a probe writes
the section of its preset and size unless that holds a whole run, which it leaves alone: it
then writes a section of its own, named with its iterations per scale.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

from singan_lite import IterationEvent, ScaleEvent, SinGAN, TrainConfig, preset, train

from .common import (
    ROOT,
    add_settings_option,
    markdown_table,
    parse_settings,
    peak_memory_mb,
    read_section,
    report,
    rerun_command,
)

# How a whole run's summary begins; a probe with --iters never replaces a section that holds one.
WHOLE_RUN = "Wall time end to end"


class ScaleTimer:
    """Seconds per iteration at each scale, from the training events' arrival times."""

    def __init__(self) -> None:
        self.stamps: dict[int, list[tuple[float, float]]] = {}
        self.sizes: dict[int, tuple[int, int]] = {}

    def __call__(self, event: IterationEvent | ScaleEvent) -> None:
        if isinstance(event, IterationEvent):
            now = (time.perf_counter(), time.process_time())
            self.stamps.setdefault(event.scale, [now]).append(now)
        else:
            self.sizes[event.scale] = tuple(event.real.shape[-2:])

    def per_iteration(self, scale: int) -> tuple[float, float]:
        """(wall, CPU) seconds per iteration; CPU time is what a busy machine cannot inflate."""
        stamps = self.stamps[scale]
        # The first interval includes the scale's set-up (new networks, sample bank).
        steady = stamps[2:] if len(stamps) > 3 else stamps
        count = max(1, len(steady) - 1)
        return (steady[-1][0] - steady[0][0]) / count, (steady[-1][1] - steady[0][1]) / count


@dataclasses.dataclass(frozen=True)
class TimedRun:
    """A training run timed per scale: the model, its wall seconds, and the seconds the config's own
    iteration counts would take at the measured per-scale costs (the wall time of a whole run)."""

    model: SinGAN
    wall: float
    projected: float
    timer: ScaleTimer


def time_training(config: TrainConfig, image: str, iterations: int | None, device: str) -> TimedRun:
    """Train `image` under `config`, or with `iterations` per scale instead of its own to project
    its cost without waiting for it."""
    measured = config if iterations is None else dataclasses.replace(config, iterations=iterations)
    timer = ScaleTimer()
    started = time.perf_counter()
    model = train(image, measured, on_event=timer, device=device)
    wall = time.perf_counter() - started
    projected = sum(
        timer.per_iteration(scale)[0] * config.iterations_at(scale, model.num_scales)
        for scale in range(model.num_scales)
    )
    return TimedRun(model, wall, projected, timer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--image", default=str(ROOT / "assets" / "images" / "mountains.png"))
    parser.add_argument("--max-size", type=int, default=250)
    parser.add_argument("--iters", type=int, help="measure with this many iterations per scale")
    parser.add_argument("--device", default="cpu")
    add_settings_option(parser)
    parser.add_argument("--name", help="the recipe's name in RESULTS' section title (default: the preset's)")
    args = parser.parse_args(argv)

    settings = {"max_size": args.max_size, **parse_settings(args.set)}
    config = preset(args.preset, **settings)
    run = time_training(config, args.image, args.iters, args.device)
    model, wall, projected = run.model, run.wall, run.projected

    rows = []
    for scale in range(model.num_scales):
        per_iteration, cpu_per_iteration = run.timer.per_iteration(scale)
        iterations = config.iterations_at(scale, model.num_scales)
        size = "x".join(map(str, model.sizes[scale]))
        rows.append([scale, size, model.width_at(scale), per_iteration, cpu_per_iteration, iterations])
    table = markdown_table(["scale", "size", "width", "s/iteration", "CPU s/iteration", "iterations"], rows)
    if args.iters is None:
        summary = (
            f"{WHOLE_RUN}: **{wall:.0f} s** ({time.process_time():.0f} CPU s); peak memory {peak_memory_mb():.0f} MB."
        )
    else:
        summary = (
            f"Measured with {args.iters} iterations per scale ({wall:.0f} s); the preset's own iteration "
            f"counts would take about **{projected:.0f} s** ({projected / 3600:.1f} h); "
            f"peak memory {peak_memory_mb():.0f} MB."
        )
    recipe = f"`{args.name}` recipe" if args.name else f"`{args.preset}` preset"
    name = f"Training cost, {recipe}, {model.sizes[-1][0]}x{model.sizes[-1][1]}"
    if model.device.type == "cuda":
        name += ", on a GPU"  # beside the CPU's section, which it must not replace
    if args.iters is not None and WHOLE_RUN in (read_section(name) or ""):
        name += f", {args.iters} iterations per scale"
    report(name, summary, table, rerun_command("train_time", argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
