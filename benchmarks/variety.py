"""What the variety setting does: layout, diversity and realism of samples at several values.

`SinGAN.sample(variety=v)` multiplies the start scale's noise by v. For every shipped model
made for random samples, 8 samples from scale 0 at each value are scored against its
training image with the project's metrics, and diversity over 100 as the paper measures it;
the table gives the means over the models. `--models` scores another folder of models instead,
such as the `fast` models the quality benchmark trains, in a section of its own.

    python -m benchmarks.variety
    python -m benchmarks.variety --models runs/quality/fast
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from singan_lite import SinGAN

from .common import (
    ROOT,
    add_without_sifid_option,
    evaluate_samples,
    markdown_table,
    mean_of_given,
    rerun_command,
    stop_without_sifid,
    write_section,
)

MODELS = ROOT / "assets" / "models"
VALUES = (0.5, 1.0, 1.5, 2.0, 3.0)
COLUMNS = ("layout", "diversity", "swd", "nn_realism", "sifid", "detail")
SAMPLE_SEED = 1


def score(model: SinGAN, variety: float, samples: int) -> dict:
    return evaluate_samples(model, model.sample(samples, seed=SAMPLE_SEED, variety=variety), SAMPLE_SEED, variety)


def is_shipped(folder: Path) -> bool:
    return folder.resolve() == MODELS.resolve()


def section_name(folder: Path) -> str:
    """The shipped models' section, or one per other folder, named by the folder as given."""
    return "Variety at sampling time" if is_shipped(folder) else f"Variety at sampling time ({folder.as_posix()})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", nargs="*", type=float, default=list(VALUES))
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--models", type=Path, default=MODELS, help="a folder of model files (default: shipped)")
    add_without_sifid_option(parser)
    args = parser.parse_args(argv)
    stop_without_sifid(parser, args)
    loaded = {path.stem: SinGAN.load(path) for path in sorted(args.models.glob("*.safetensors"))}
    models = {name: model for name, model in loaded.items() if model.config.sr_factor is None}
    if not models:
        parser.error(f"{args.models} holds no model files for random samples (*.safetensors).")
    rows = []
    with torch.inference_mode():
        for variety in args.values:
            scores = [score(model, variety, args.samples) for model in models.values()]
            means = [mean_of_given(s.get(c) for s in scores) for c in COLUMNS]
            rows.append([variety, *means])
            print(rows[-1], flush=True)
    body = (
        f"Means over the {'shipped ' if is_shipped(args.models) else ''}models {', '.join(models)}: "
        f"{args.samples} samples each from scale 0 "
        "(diversity: 100, the paper's measure) at each variety (1: the noise the models were trained "
        "with). Layout and diversity say how new the samples are; SWD, NN realism and SIFID how real "
        "(lower is better).\n\n" + markdown_table(["variety", *COLUMNS], rows)
    )
    command = rerun_command("variety", argv)
    write_section(section_name(args.models), body, command)
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
