"""Re-create every shipped model in assets/models/ from assets/images/ with fixed seeds.

    python -m benchmarks.train_assets                 # every image, plus the SR model
    python -m benchmarks.train_assets --only mountains

Each random-generation model is trained with the `quality` preset (seed 0): the shipped models
are what a visitor sees first, trained once by us, so they take the recipe whose samples
rearrange the scene, not the one that trains fastest. The super-resolution model is trained
for x4 on one image with `fast`'s super-resolution recipe: super-resolution needs the faithful
reconstruction, which both presets give, not new layouts. The run time, layout distance and
scores of each are written to RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from singan_lite import load_image, preset, train

from .common import ROOT, evaluate_samples, markdown_table, rerun_command, write_section
from .quality import SAMPLE_SEED

IMAGES = ROOT / "assets" / "images"
MODELS = ROOT / "assets" / "models"
STATS = ROOT / "runs" / "assets"
SR_IMAGE = "rocks"
SR_FACTOR = 4.0
SR_PRESET = "fast"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="image names (without .png); default: all")
    parser.add_argument("--preset", default="quality", help="the random-generation models' preset")
    args = parser.parse_args(argv)

    names = args.only or sorted(p.stem for p in IMAGES.glob("*.png"))
    jobs = [(name, name, preset(args.preset, seed=0)) for name in names]
    if args.only is None or SR_IMAGE + "_sr" in args.only:
        jobs = [j for j in jobs if j[0] != SR_IMAGE + "_sr"]
        jobs.append((SR_IMAGE + "_sr", SR_IMAGE, preset(SR_PRESET, seed=0).with_super_resolution(SR_FACTOR)))
    for model_name, image_name, config in jobs:
        started = time.perf_counter()
        image = load_image(IMAGES / f"{image_name}.png")
        model = train(image, config, checkpoint=MODELS / f"{model_name}.safetensors", device="cpu")
        seconds = time.perf_counter() - started
        scores = evaluate_samples(model, model.sample(8, seed=SAMPLE_SEED), SAMPLE_SEED)
        row = [
            model_name,
            config.preset,
            "x".join(map(str, model.sizes[-1])),
            model.num_scales,
            seconds,
            (MODELS / f"{model_name}.safetensors").stat().st_size / 1024,
            scores["swd"],
            scores["nn_realism"],
            scores["layout"],
            scores["diversity"],
        ]
        # One record per model, so runs over different subsets add up to one table.
        STATS.mkdir(parents=True, exist_ok=True)
        (STATS / f"{model_name}.json").write_text(json.dumps(row))
        print(row, flush=True)
    rows = [json.loads(p.read_text()) for p in sorted(STATS.glob("*.json"))]
    header = ["model", "preset", "size", "scales", "train s", "file KB", "SWD", "NN realism", "layout", "diversity"]
    table = markdown_table(header, rows)
    total_mb = sum(p.stat().st_size for p in MODELS.glob("*.safetensors")) / 2**20
    command = rerun_command("train_assets", argv)
    write_section("Shipped models", f"All models together: {total_mb:.1f} MB.\n\n" + table, command)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
