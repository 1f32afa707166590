"""Training on large photographs: time, peak memory and samples at 250, 512 and 1024 px.

For each photograph in assets/large (1024x768, freely licensed) and each size, the `train`
command runs with its defaults (the default preset, threads chosen while it runs) in a fresh
process, so its peak resident memory is that run's alone. Then 8 samples from scale 0 are
scored against the image the model was trained on, with the project's metrics. The patch
scores and the layout distance mean different things at different sizes (a 7x7 patch of a
1024 px image is finer detail than one of a 250 px image), so the samples of the larger
models are also shrunk to the 250 px size and scored against the 250 px image: that column
compares the same picture at every size. docs/large_samples.jpg shows each photograph beside a
sample of its largest model.

    python -m benchmarks.large_training                   # 4 photographs x 3 sizes: about 1.5 h idle
    python -m benchmarks.large_training --images boats --sizes 1024
    python -m benchmarks.large_training --report-only     # the tables from the runs saved so far

Each run leaves its model and its figures in runs/large/, so an interrupted benchmark keeps
what it finished, and runs already there are not repeated.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

import torch
from PIL import Image

from singan_lite import SinGAN, load_image, preset, resize, save_image
from singan_lite.metrics import evaluate
from singan_lite.training import pyramid_for

from .common import (
    ROOT,
    add_without_sifid_option,
    markdown_table,
    measure_in_child,
    stop_without_sifid,
    write_section,
)

SECTION = "Training large images"
FIGURE = ROOT / "docs" / "large_samples.jpg"
PHOTOS = ROOT / "assets" / "large"
OUT = ROOT / "runs" / "large"
SIZES = (1024, 512, 250)
REFERENCE_SIZE = 250
SCORES = ("swd", "nn_realism", "sifid", "layout", "diversity")
# Not the training seed: see benchmarks/quality.py.
SAMPLE_SEED = 1
# The targets for a 1024x768 photograph on 2 cores.
TARGET_SECONDS = 15 * 60
TARGET_MB = 3 * 1024


def train_one(photo: Path, size: int) -> dict[str, float]:
    model_path = OUT / f"{photo.stem}_{size}.safetensors"
    command = ["train", str(photo), "--max-size", str(size), "-o", str(model_path)]
    # The command's progress bars: each scale's pace, to read where the time went.
    measures, _ = measure_in_child(command, log=OUT / f"{photo.stem}_{size}.log")
    return measures


def reference_image(photo: Path) -> torch.Tensor:
    """The photograph as the 250 px model sees it: resized straight from the original."""
    image = load_image(photo)
    return resize(image, pyramid_for(preset("fast", max_size=REFERENCE_SIZE), *image.shape[-2:]).sizes[-1])


def score(photo: Path, size: int, samples: int) -> dict:
    model = SinGAN.load(OUT / f"{photo.stem}_{size}.safetensors")
    with torch.inference_mode():
        drawn = model.sample(samples, start_scale=0, seed=SAMPLE_SEED)
    save_image(drawn[0], OUT / f"{photo.stem}_{size}_sample.png")
    reference = reference_image(photo)
    return {
        "scales": model.num_scales,
        "native": evaluate(model.training_image(), drawn),
        "at_reference": evaluate(reference, resize(drawn, tuple(reference.shape[-2:]))),
    }


def run(photo: Path, size: int, samples: int) -> dict:
    path = OUT / f"{photo.stem}_{size}.json"
    if path.exists():
        return json.loads(path.read_text())
    print(f"{photo.stem} at {size} px ...", file=sys.stderr, flush=True)
    result = {"image": photo.stem, "size": size, **train_one(photo, size), **score(photo, size, samples)}
    path.write_text(json.dumps(result, indent=1))
    print(f"  {result['seconds']:.0f} s, {result['peak_mb']:.0f} MB", file=sys.stderr, flush=True)
    return result


# A progress bar's state as `train` prints it: "scale 3/16:  42%|####  | 100/239 [00:08<00:11, ...".
PROGRESS = re.compile(r"scale (\d+)/\d+:[^|]*\|[^|]*\| (\d+)/\d+ \[(\d+):(\d+)<")


def ms_per_iteration(log: str) -> list[int]:
    """Each scale's mean milliseconds per iteration, from the last state of its progress bar."""
    last: dict[int, tuple[int, int]] = {}
    for match in PROGRESS.finditer(log):
        scale, done, minutes, seconds = map(int, match.groups())
        last[scale - 1] = (done, 60 * minutes + seconds)
    return [round(1000 * seconds / max(1, done)) for _, (done, seconds) in sorted(last.items())]


def _scores(result: dict, which: str) -> list[float]:
    return [result[which].get(name) for name in SCORES]


def report(results: list[dict]) -> str:
    per_run = [
        [r["image"], r["size"], r["scales"], round(r["seconds"]), round(r["peak_mb"]), *_scores(r, "at_reference")]
        for r in sorted(results, key=lambda r: (r["image"], r["size"]))
    ]
    means = []
    for size in sorted({r["size"] for r in results}):
        runs = [r for r in results if r["size"] == size]
        means.append(
            [
                size,
                len(runs),
                round(statistics.fmean(r["seconds"] for r in runs)),
                round(max(r["seconds"] for r in runs)),
                round(max(r["peak_mb"] for r in runs)),
                *[statistics.fmean(r["at_reference"][name] for r in runs) for name in SCORES],
                *[statistics.fmean(r["native"][name] for r in runs) for name in SCORES],
            ]
        )
    scored = [f"{name} at 250" for name in SCORES] + [f"{name} native" for name in SCORES]
    per_scale = [
        f"- {path.stem}: {' '.join(map(str, ms_per_iteration(path.read_text())))}" for path in sorted(OUT.glob("*.log"))
    ]
    return (
        f"`python -m singan_lite train PHOTO --max-size N` with its defaults, on the 1024x768 photographs of "
        f'assets/large, each in a fresh process; then 8 samples from scale 0 (seed {SAMPLE_SEED}). "at 250": '
        f"the samples shrunk to {REFERENCE_SIZE} px and scored against the {REFERENCE_SIZE} px image, the same "
        f'picture at every size; "native": against the image the model was trained on. Targets at 1024 px: '
        f"{TARGET_SECONDS // 60} min and {TARGET_MB} MB.\n\n"
        "Means over the photographs (time: mean and slowest; memory: the highest):\n\n"
        + markdown_table(["size", "photos", "mean s", "max s", "peak MB", *scored], means)
        + "\n\nEach run, scored at 250 px:\n\n"
        + markdown_table(["photo", "size", "scales", "wall s", "peak MB", *SCORES], per_run)
        + "\n\nMilliseconds per iteration at scales 0, 1, ... (from the progress bars; whole seconds):\n\n"
        + "\n".join(per_scale)
    )


def draw_figure(results: list[dict], height: int = 300) -> Path | None:
    """Each photograph beside one sample of its largest model, for the README: what 1024 px gives."""
    largest = {}
    for result in results:
        if result["size"] >= largest.get(result["image"], 0):
            largest[result["image"]] = result["size"]
    rows = []
    for name, size in sorted(largest.items()):
        pair = [Image.open(PHOTOS / f"{name}.jpg"), Image.open(OUT / f"{name}_{size}_sample.png")]
        rows.append([image.convert("RGB").resize((round(height * 4 / 3), height), Image.LANCZOS) for image in pair])
    if not rows:
        return None
    width = rows[0][0].width
    canvas = Image.new("RGB", (2 * width + 4, len(rows) * (height + 4) - 4), "white")
    for row, pair in enumerate(rows):
        for column, image in enumerate(pair):
            canvas.paste(image, (column * (width + 4), row * (height + 4)))
    canvas.save(FIGURE, quality=85, optimize=True)
    return FIGURE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", nargs="*", help="photograph names in assets/large (default: all)")
    parser.add_argument("--sizes", nargs="*", type=int, default=list(SIZES))
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--report-only", action="store_true", help="tabulate the runs saved so far")
    add_without_sifid_option(parser)
    args = parser.parse_args(argv)
    if not args.report_only:
        stop_without_sifid(parser, args)
    OUT.mkdir(parents=True, exist_ok=True)
    photos = sorted(PHOTOS.glob("*.jpg"))
    if args.images:
        photos = [photo for photo in photos if photo.stem in args.images]
    if args.report_only:
        results = [json.loads(path.read_text()) for path in sorted(OUT.glob("*.json"))]
    else:
        results = [run(photo, size, args.samples) for size in args.sizes for photo in photos]
    if not results:
        print("no runs to report: train some first (without --report-only).", file=sys.stderr)
        return 1
    body = report(results)
    print(body)
    write_section(SECTION, body, "python -m benchmarks.large_training")
    draw_figure(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
