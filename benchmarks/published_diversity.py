"""How diverse the published SinGAN samples are, estimated from our models of the same images.

The paper's diversity is the per-pixel spread of 100 samples; the authors published one sample per
places10 image, so it cannot be measured on theirs, and "more diverse than the published samples"
has no measured bar. What one sample does show is how far it departs from its training image
(`metrics.grey_deviation`, in diversity's units). For a model of ours, the ratio of its diversity to
its samples' RMS deviation says how much of a sample's departure is spread between samples rather
than shared by all of them (and the image's own fine texture, which no sample copies). The published
sample's deviation times that ratio, image by image, estimates the published samples' diversity.
It assumes the authors' model splits a departure as ours does; the estimates from several recipes
(folders written by `benchmarks.quality`) show how far that assumption moves it.

    python -m benchmarks.published_diversity --models runs/quality/fast runs/quality/fast_fixedz
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

from singan_lite import SinGAN
from singan_lite.metrics import grey_deviation, pixel_diversity

from .common import diversity_samples, markdown_table, write_section
from .quality import IMAGE_SETS, SAMPLE_SEED, published_sample

SECTION = "Diversity of the published samples (estimated)"


@dataclass(frozen=True)
class Estimate:
    """One image under one recipe: our diversity and RMS deviation, and the published sample's deviation."""

    image: str
    diversity: float
    deviation: float
    published_deviation: float

    @property
    def share_of_spread(self) -> float:
        """How much of our samples' departure from the image is spread between them."""
        return self.diversity / self.deviation

    @property
    def published_diversity(self) -> float:
        """The published sample's deviation scaled by our share of spread."""
        return self.published_deviation * self.share_of_spread


def estimate_image(model: SinGAN, key: str) -> Estimate:
    """Our model of places10 image `key` against the published sample of that image."""
    real = model.training_image()
    samples = diversity_samples(model, SAMPLE_SEED)
    published = published_sample("singan_official", key, tuple(real.shape[-2:]))
    return Estimate(key, pixel_diversity(samples, real), grey_deviation(samples, real), grey_deviation(published, real))


def model_files(folder: Path) -> list[tuple[str, Path]]:
    """The places10 models in a folder of `benchmarks.quality`, as (image, file), in image order."""
    files = [(key, folder / f"{key}.safetensors") for key in IMAGE_SETS["places10"].keys]
    return [(key, path) for key, path in files if path.is_file()]


def report(estimates: dict[str, list[Estimate]]) -> str:
    """Each recipe's means, then one row per image and recipe."""
    averaged = ("diversity", "deviation", "published_deviation", "published_diversity")
    means, rows = [], []
    for recipe, per_image in estimates.items():
        means.append([recipe, len(per_image), *(fmean(getattr(e, name) for e in per_image) for name in averaged)])
        for e in per_image:
            columns = (e.diversity, e.deviation, e.share_of_spread, e.published_deviation, e.published_diversity)
            rows.append([recipe, e.image, *columns])
    estimated = "published diversity (est.)"
    mean_header = ["recipe", "images", "diversity", "deviation", "published deviation", estimated]
    header = ["recipe", "image", "diversity", "deviation", "share of spread", "published deviation", estimated]
    return (
        "Diversity is the paper's measure over 100 samples from scale 0; deviation is the RMS over those "
        "samples of their grey-level difference from the training image over its std (for the published "
        "samples: their one sample's). The published diversity is estimated per image as the published "
        "deviation times our share of spread (our diversity over our deviation).\n\nMeans:\n\n"
        + markdown_table(mean_header, means)
        + "\n\nPer image:\n\n"
        + markdown_table(header, rows)
        + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--models", nargs="+", type=Path, required=True, help="folders of places10 models from benchmarks.quality"
    )
    args = parser.parse_args(argv)
    if not IMAGE_SETS["places10"].folder.is_dir():
        parser.exit(2, f"the published samples are not here: {IMAGE_SETS['places10'].folder} is missing.\n")
    estimates = {}
    for folder in args.models:
        files = model_files(folder)
        if not files:
            parser.exit(2, f"{folder} holds no places10 model files (1.safetensors .. 10.safetensors).\n")
        estimates[folder.as_posix()] = [estimate_image(SinGAN.load(path), key) for key, path in files]
    body = report(estimates)
    print(body)
    command = "python -m benchmarks.published_diversity --models " + " ".join(f.as_posix() for f in args.models)
    write_section(SECTION, body, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
