"""Large outputs in bounded memory: a 4x4 stretched sample and x4 super-resolution of a 1024 px model.

    python -m benchmarks.large_sampling                 # both cases: minutes on 2 busy cores
    python -m benchmarks.large_sampling --print-only    # the same, without touching RESULTS.md

The models have the pyramids `fast` builds for a 1024x768 image (random generation, and
super-resolution by 4) and its widths, with untrained weights: time and memory depend on
the pyramid and the widths, not on what the weights have learnt. Each case runs the command
line (`sample`, `superres`) in a fresh process, so its peak resident memory (ru_maxrss) is
that command's alone: reading the model, generating, writing the PNG.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

import torch

from singan_lite import SinGAN, load_image, preset, resize
from singan_lite.networks import Generator
from singan_lite.training import pyramid_for

from .common import ROOT, markdown_table, measure_in_child, write_section

SECTION = "Large outputs"
IMAGE = ROOT / "assets" / "images" / "mountains.png"
SIZE = (768, 1024)
SR_FACTOR = 4
STRETCH = 4
# The target: a 4K output on a machine with 4 GB of memory.
TARGET_MB = 4096


def build_model(super_resolution: bool) -> SinGAN:
    """`fast`'s pyramid and widths for a 1024x768 image, every generator initialised but untrained."""
    config = preset("fast", max_size=max(SIZE))
    if super_resolution:
        config = config.with_super_resolution(SR_FACTOR)
    plan = pyramid_for(config, *SIZE)
    real = resize(load_image(IMAGE), plan.sizes[-1])
    model = SinGAN(config, plan, real, torch.zeros(1, 1, *plan.sizes[0]))
    for scale in range(plan.num_scales):
        model.add_scale(Generator(model.width_at(scale), config.batch_norm), config.noise_amp)
    return model


def cases(folder: Path) -> dict[str, list[str]]:
    """Each case's command line, its output inside `folder`."""
    sample = ["sample", str(folder / "random.safetensors"), "-o", str(folder), "-n", "1", "--seed", "0"]
    superres = ["superres", str(folder / "sr.safetensors"), "-o", str(folder / "sr.png"), "--seed", "0"]
    return {
        f"sample, stretch {STRETCH}x{STRETCH}": [*sample, "--stretch-h", str(STRETCH), "--stretch-v", str(STRETCH)],
        f"superres x{SR_FACTOR} of the {SIZE[1]}x{SIZE[0]} image": superres,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print-only", action="store_true", help="print the table, leave RESULTS.md alone")
    args = parser.parse_args(argv)

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        random_model, sr_model = build_model(False), build_model(True)
        random_model.save(folder / "random.safetensors")
        sr_model.save(folder / "sr.safetensors")
        for name, command in cases(folder).items():
            result, stdout = measure_in_child(command)
            # The command's own report of what it wrote, e.g. "... (3072x4096)": height x width.
            written = re.search(r"\d+x\d+", stdout.strip().splitlines()[-2])[0]
            rows.append([name, written, round(result["seconds"], 1), round(result["peak_mb"])])
            print(rows[-1], file=sys.stderr)
    header = ["case", "output, H x W", "wall s", "peak RSS, MB"]
    body = (
        f"`fast` pyramids of a {SIZE[1]}x{SIZE[0]} image ({random_model.num_scales} scales for random generation, "
        f"{sr_model.num_scales} for super-resolution by {SR_FACTOR}), untrained weights. Each case is one command "
        f"in a fresh process, timed from the call to its return; the target is {TARGET_MB} MB.\n\n"
        + markdown_table(header, rows)
    )
    print(body)
    if not args.print_only:
        write_section(SECTION, body, "python -m benchmarks.large_sampling")
    return 0


if __name__ == "__main__":
    sys.exit(main())
