"""The training-time estimate against training itself, on this machine.

    python -m benchmarks.estimate_accuracy                          # fast, whole run, 250 px
    python -m benchmarks.estimate_accuracy --presets fast quality --iters 25

For each preset: the estimate fitted for 2-core CPUs, the estimate at the speed the start-up
probes measure here (`--probes` times before the run and as many after, since a probe moves from
call to call), and the run itself: its wall time, or with --iters its projection to the preset's
own iteration counts (benchmarks.train_time). This is what decides the app's Train tab's starting
size on a machine, so it is worth re-running on every kind of machine.
"""

from __future__ import annotations

import argparse

from singan_lite import load_image, preset
from singan_lite.estimate import MachineSpeed, estimate_on_machine, estimate_training_seconds
from singan_lite.speed_probe import measure_machine_speed
from singan_lite.training import pyramid_for

from .common import ROOT, markdown_table, report, rerun_command
from .train_time import time_training

SECTION = "Training-time estimate on this machine"


def _probes(count: int) -> list[MachineSpeed | None]:
    return [measure_machine_speed() for _ in range(count)]


def _seconds(values: list[float | None]) -> str:
    """Probed estimates as a list of whole seconds; "busy" for a probe that gave up."""
    return ", ".join("busy" if value is None else f"{value:.0f}" for value in values)


def _ratios(values: list[float | None], measured: float) -> str:
    known = [value / measured for value in values if value is not None]
    return f"{min(known):.2f}-{max(known):.2f}" if known else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["fast"])
    parser.add_argument("--image", default=str(ROOT / "assets" / "images" / "mountains.png"))
    parser.add_argument("--max-size", type=int, default=250)
    parser.add_argument("--iters", type=int, help="project from this many iterations per scale")
    parser.add_argument("--probes", type=int, default=3, help="probes before the run, and as many after")
    args = parser.parse_args(argv)

    height, width = load_image(args.image).shape[-2:]
    rows = []
    for name in args.presets:
        config = preset(name, max_size=args.max_size)
        sizes = pyramid_for(config, height, width).sizes
        speeds = _probes(args.probes)
        run = time_training(config, args.image, args.iters, "cpu")
        speeds += _probes(args.probes)
        measured = run.wall if args.iters is None else run.projected
        fitted = estimate_training_seconds(config, sizes)
        # What the app would say at each probe's speed.
        probed = [None if speed is None else estimate_on_machine(config, sizes, speed)[0] for speed in speeds]
        rows.append(
            [
                f"`{name}`",
                f"{sizes[-1][1]}x{sizes[-1][0]}",
                f"{fitted:.0f}",
                _seconds(probed),
                f"{measured:.0f}" + ("" if args.iters is None else f" (projected from {args.iters} a scale)"),
                f"{fitted / measured:.2f}",
                _ratios(probed, measured),
            ]
        )
    header = ["preset", "size", "fitted s", "probed s", "measured s", "fitted / measured", "probed / measured"]
    table = markdown_table(header, rows)
    summary = (
        f"Probed: {args.probes} probes before each run and {args.probes} after it (`busy`: a probe that gave up "
        "within its budget, where the app keeps the fitted estimate)."
    )
    report(SECTION, summary, table, rerun_command("estimate_accuracy", argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
