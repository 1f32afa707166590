"""NN realism at equal fine detail: ours blurred to the published SinGAN samples' smoothness.

Patch NN realism rewards smooth samples (see singan_lite.metrics.detail_ratio), and the
published SinGAN samples keep less fine detail than the images they were trained on. This
blurs the samples of each model that benchmarks.quality saved just enough to leave them
exactly as much detail as the published sample of the same image, then scores NN realism
again, so that the comparison is between patches, not between degrees of sharpness.
It is a diagnosis of the measure, not a recipe: the app never blurs its samples.

    python -m benchmarks.detail_matched --name quality   # after benchmarks.quality --preset quality
"""

from __future__ import annotations

import argparse
import statistics
import sys

import torch

from singan_lite import SinGAN
from singan_lite.imaging import gaussian_blur
from singan_lite.metrics import detail_ratio, patch_nn_distances

from .common import markdown_table, rerun_command, write_section
from .quality import OUT, PLACES, SAMPLE_SEED, published_sample


def _mean_detail(samples: torch.Tensor, real: torch.Tensor) -> float:
    return statistics.fmean(detail_ratio(sample[None], real) for sample in samples)


def sigma_for_detail(samples: torch.Tensor, real: torch.Tensor, target: float, steps: int = 20) -> float:
    """The blur that leaves the samples `target` detail (bisection; 0 when they are already smoother)."""
    if _mean_detail(samples, real) <= target:
        return 0.0
    low, high = 0.0, 3.0
    for _ in range(steps):
        middle = (low + high) / 2
        low, high = (middle, high) if _mean_detail(gaussian_blur(samples, middle), real) > target else (low, middle)
    return high


def _nn_realism(samples: torch.Tensor, real: torch.Tensor) -> float:
    return statistics.fmean(patch_nn_distances(sample[None], real)[0] for sample in samples)


def match_image(name: str, key: str, samples: int) -> list[object]:
    model = SinGAN.load(OUT / name / f"{key}.safetensors")
    real = model.training_image()
    published = published_sample("singan_official", key, tuple(real.shape[-2:]))
    ours = model.sample(samples, start_scale=0, seed=SAMPLE_SEED)
    target = detail_ratio(published, real)
    sigma = sigma_for_detail(ours, real, target)
    matched = gaussian_blur(ours, sigma)
    return [
        key,
        _mean_detail(ours, real),
        target,
        sigma,
        _nn_realism(ours, real),
        _nn_realism(matched, real),
        patch_nn_distances(published, real)[0],
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="fast", help="the benchmarks.quality run whose models to use")
    parser.add_argument("--images", nargs="*", default=[str(k) for k in range(1, 11)])
    parser.add_argument("--samples", type=int, default=8)
    args = parser.parse_args(argv)
    if not PLACES.is_dir():
        print(f"skipped: {PLACES} is absent (it is not part of the project)", file=sys.stderr)
        return 0
    rows = [match_image(args.name, key, args.samples) for key in args.images]
    means = ["mean", *(statistics.fmean(row[column] for row in rows) for column in range(1, 7))]
    better = sum(row[5] <= row[6] for row in rows)
    header = ["image", "detail ours", "detail SinGAN", "blur sigma", "NN ours", "NN ours, matched", "NN SinGAN"]
    body = (
        f"`{args.name}`'s samples (8 per image, as in the quality table) blurred with a Gaussian until their "
        "detail ratio equals the published SinGAN sample's, then scored again for NN realism (lower is "
        f"better). Matched, ours are as realistic or more on {better} of {len(rows)} images.\n\n"
        + markdown_table(header, [*rows, means])
    )
    write_section(
        f"NN realism at equal detail ({args.name})",
        body,
        rerun_command("detail_matched", argv),
    )
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
