"""What a recipe's coarse scales draw, against the published samples shrunk to the same scale.

A sample's layout is settled by the coarse scales: stopped at scale 2, it is already about as
far from the training image as it will be. Those scales train in a fraction of a whole model's
time, so this compares recipes where layout and realism are first traded: for each places10
image, train scales 0..K alone, then score 16 samples stopped at scale K against the training
image at that scale (patch SWD, detail; diversity over 100, as the paper measures it), with
their layout measured on the full-size image as benchmarks/quality.py does. The published
SinGAN sample, shrunk to scale K, is scored the same way: the mark a recipe's coarse scales
have to reach for the finer scales to have a chance.

Layout is measured on a tenth-size image, about the size of scale 0: stopped there, G_0's
pixel speckle counts as departure too. From scale 2 up, the speckle is smoothed and a stopped
sample's layout is close to the finished model's.

    python -m benchmarks.coarse_scales --images 6 9 --stop 2 --set batch_norm=false min_size=20
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor

import torch

from singan_lite import SinGAN, TrainConfig, load_image, preset, resize, train
from singan_lite.metrics import detail_ratio, layout_distance, patch_swd
from singan_lite.training import ScaleEvent

from .common import add_settings_option, markdown_table, paper_diversity, parse_settings
from .quality import IMAGE_SETS, SAMPLE_SEED, chosen_images, folder_absent, published_sample

COLUMNS = ("swd", "detail", "layout", "diversity")


def train_coarse_scales(image: torch.Tensor, config: TrainConfig, stop: int) -> SinGAN:
    """A model of scales 0..`stop` only: training ends once scale `stop` is finished."""

    def stop_after_scale(event: object) -> bool:
        return isinstance(event, ScaleEvent) and event.scale == stop

    return train(image, config, on_event=stop_after_scale, device="cpu")


def score_at_scale(samples: torch.Tensor, real: torch.Tensor) -> dict[str, float]:
    """Samples of one scale against the training image: patch scores at the samples' own size,
    layout at the training image's full size (as the whole model's samples are measured).
    """
    at_scale = resize(real, tuple(samples.shape[-2:]))
    full_size = resize(samples, tuple(real.shape[-2:]))
    return {
        "swd": sum(patch_swd(sample[None], at_scale) for sample in samples) / len(samples),
        "detail": sum(detail_ratio(sample[None], at_scale) for sample in samples) / len(samples),
        "layout": sum(layout_distance(sample[None], real) for sample in full_size) / len(samples),
    }


def run_image(key: str, config: TrainConfig, stop: int, samples: int, threads: int) -> dict:
    """Train one image's coarse scales and score them beside the published sample; runs in a worker."""
    torch.set_num_threads(threads)
    model = train_coarse_scales(load_image(IMAGE_SETS["places10"].image(key)), config, stop)
    real = model.training_image()
    size = model.sizes[stop]
    published = resize(published_sample("singan_official", key, tuple(real.shape[-2:])), size)
    ours = score_at_scale(model.sample(samples, seed=SAMPLE_SEED), real)
    ours["diversity"] = paper_diversity(model, resize(real, size), SAMPLE_SEED)
    return {
        "image": key,
        "size": size,
        "ours": ours,
        "singan": score_at_scale(published, real),
    }


def report(results: list[dict], name: str, stop: int) -> str:
    rows = []
    for result in results:
        height, width = result["size"]
        for who, label in (("ours", f"`{name}`"), ("singan", "SinGAN (authors), shrunk")):
            scores = result[who]
            cells = [scores.get(column, "1 sample") for column in COLUMNS]
            rows.append([result["image"], f"{width}x{height}", label, *cells])
    title = f"Samples stopped at scale {stop}, against the training image at that scale\n\n"
    return title + markdown_table(["image", "scale size", "who", *COLUMNS], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quality")
    parser.add_argument("--images", nargs="*", help="which places10 images (default: all)")
    parser.add_argument("--stop", type=int, default=2, help="the last scale trained and scored (default: 2)")
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    add_settings_option(parser)
    parser.add_argument("--name", help="the recipe's name in the table (default: the preset)")
    args = parser.parse_args(argv)
    places = IMAGE_SETS["places10"]
    if folder_absent(places):
        return 0
    keys = chosen_images(places, args.images, parser)
    config = preset(args.preset, **parse_settings(args.set))
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run_image, key, config, args.stop, args.samples, args.threads) for key in keys]
        results = [future.result() for future in futures]
    print(report(results, args.name or args.preset, args.stop))
    return 0


if __name__ == "__main__":
    sys.exit(main())
