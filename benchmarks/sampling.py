"""Generation cost: one 250 px sample, and very wide outputs without running out of memory.

    python -m benchmarks.sampling [--model assets/models/mountains.safetensors]

Without --model a model is trained for a few iterations: sampling cost depends on the
pyramid and the widths, not on how well the weights are trained.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

from singan_lite import SinGAN, preset, train

from .common import ROOT, markdown_table, peak_memory_mb, rerun_command, write_section


def _time(function, repeats: int) -> float:
    function()  # warm-up: thread pools and allocator
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--widths", type=int, nargs="*", default=[500, 1000, 2000])
    args = parser.parse_args(argv)

    if args.model:
        model = SinGAN.load(args.model)
    else:
        model = train(ROOT / "assets" / "images" / "mountains.png", preset(args.preset, iterations=2), device="cpu")
    height, width = model.sizes[-1]
    rows = [["1 sample", f"{height}x{width}", _time(lambda: model.sample(1, seed=0), 10) * 1000, peak_memory_mb()]]
    rows.append(["8 samples", f"{height}x{width}", _time(lambda: model.sample(8, seed=0), 3) * 1000, peak_memory_mb()])
    for target in args.widths:
        factor = target / width
        with torch.no_grad():
            seconds = _time(lambda f=factor: model.sample(1, stretch_h=f, stretch_v=f, seed=0), 1)
        out = f"{round(height * factor)}x{target}"
        rows.append([f"1 sample, x{factor:.1f}", out, seconds * 1000, peak_memory_mb()])
    table = markdown_table(["what", "output", "ms (median)", "peak memory so far, MB"], rows)
    source = Path(args.model).name if args.model else f"an untrained-weights `{args.preset}` pyramid"
    name = "Sampling cost"
    command = rerun_command("sampling", argv)
    write_section(name, f"Model: {source}, {model.num_scales} scales.\n\n" + table, command)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
