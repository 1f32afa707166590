"""`python -m singan_lite`: argument parsing only; the work happens in the library.

Bad input ends with exit code 2 and one line that says what to do, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from .config import PRESETS, preset
from .imaging import ImageError, load_image, save_image
from .metrics import evaluate
from .model import ModelFileError, SinGAN
from .pyramid import plan_pyramid
from .task_commands import add_task_commands
from .training import IterationEvent, ScaleEvent, TrainingEvent, train

USER_ERRORS = (ImageError, ModelFileError, ValueError, FileNotFoundError)


def _pyramid(args: argparse.Namespace) -> None:
    height, width = load_image(args.image).shape[-2:]
    plan = plan_pyramid(height, width, args.min_size, args.max_size, args.scale_factor)
    print(json.dumps({"scale_factor": plan.scale_factor, "levels": [list(s) for s in plan.sizes]}))


class _ProgressBar:
    """Turns training events into one tqdm bar and, optionally, per-scale snapshot files."""

    def __init__(self, snapshots: Path | None) -> None:
        self.bar: tqdm | None = None
        self.snapshots = snapshots

    def __call__(self, event: TrainingEvent) -> None:
        if isinstance(event, IterationEvent):
            if self.bar is None or event.iteration == 1:
                self._new_bar(event)
            self.bar.update(1)
            if event.iteration % 10 == 0 or event.iteration == event.iterations:
                self.bar.set_postfix(
                    rec=f"{event.losses['reconstruction']:.4f}", d_fake=f"{event.losses['d_fake']:.3f}"
                )
        elif isinstance(event, ScaleEvent):
            if self.bar is not None:
                self.bar.close()
                self.bar = None
            if self.snapshots is not None:
                for name in ("real", "reconstruction", "sample"):
                    save_image(getattr(event, name), self.snapshots / f"scale{event.scale:02d}_{name}.png")

    def _new_bar(self, event: IterationEvent) -> None:
        if self.bar is not None:
            self.bar.close()
        label = f"scale {event.scale + 1}/{event.num_scales}"
        self.bar = tqdm(total=event.iterations, desc=label, unit="it", initial=event.iteration - 1)


def _train(args: argparse.Namespace) -> None:
    output = Path(args.output)
    resume = None
    if args.resume and output.exists():
        resume = SinGAN.load(output)
        print(f"resuming {output}: {resume.trained_scales} of {resume.num_scales} scales done", file=sys.stderr)
    # Options left out keep the preset's value.
    given = {
        "max_size": args.max_size,
        "min_size": args.min_size,
        "iterations": args.iters,
        "batch_norm": args.batch_norm,
    }
    overrides = {"seed": args.seed} | {setting: value for setting, value in given.items() if value is not None}
    config = preset(args.preset, **overrides)
    if args.sr_factor is not None:
        config = config.with_super_resolution(args.sr_factor)
    if resume is None and args.image is None:
        raise ValueError("give the IMAGE to train on.")
    model = train(
        None if resume else args.image,
        config,
        resume=resume,
        checkpoint=output,
        on_event=_ProgressBar(Path(args.snapshots) if args.snapshots else None),
        device=args.device,
    )
    print(f"saved {output} ({model.trained_scales} scales)")


def _sample(args: argparse.Namespace) -> None:
    model = SinGAN.load(args.model)
    samples = model.sample(args.num, args.start_scale, args.scale_h, args.scale_v, seed=args.seed)
    out = Path(args.output)
    for index, image in enumerate(samples):
        save_image(image, out / f"{index}.png")
    print(f"wrote {len(samples)} samples of {samples.shape[-2]}x{samples.shape[-1]} to {out}")


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


def _evaluate(args: argparse.Namespace) -> None:
    folder = Path(args.samples)
    if not folder.is_dir():
        raise ValueError(f"'{folder}' is not a folder of samples.")
    files = sorted(path for path in folder.iterdir() if path.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"'{folder}' holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}).")
    print(json.dumps(evaluate(load_image(args.real), [load_image(path) for path in files])))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m singan_lite", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    pyramid = commands.add_parser("pyramid", help="print the pyramid's level sizes as JSON")
    pyramid.add_argument("image")
    pyramid.add_argument("--max-size", type=int, default=250)
    pyramid.add_argument("--min-size", type=int, default=25)
    pyramid.add_argument("--scale-factor", type=float, default=0.75)
    pyramid.set_defaults(run=_pyramid)

    training = commands.add_parser("train", help="train a model on one image")
    training.add_argument("image", nargs="?", help="the training image (optional with --resume)")
    training.add_argument("-o", "--output", required=True, help="model file (.safetensors)")
    training.add_argument("--preset", choices=sorted(PRESETS), default="paper")
    training.add_argument("--max-size", type=int)
    training.add_argument(
        "--min-size", type=int, help="the coarsest level's short side (overrides the preset; larger: more varied)"
    )
    training.add_argument("--iters", type=int, help="iterations per scale (overrides the preset)")
    training.add_argument(
        "--batch-norm",
        action=argparse.BooleanOptionalAction,
        help="batch norm in every network (overrides the preset; --no-batch-norm: more varied samples)",
    )
    training.add_argument("--seed", type=int, default=0)
    training.add_argument("--device", default="auto", help="auto, cpu or cuda")
    training.add_argument("--snapshots", help="folder for each scale's real/reconstruction/sample")
    training.add_argument("--resume", action="store_true", help="carry on from the scales saved in OUTPUT")
    training.add_argument("--sr-factor", type=float, help="train for super-resolution by this factor")
    training.set_defaults(run=_train)

    sampling = commands.add_parser("sample", help="draw random samples from a model")
    sampling.add_argument("model")
    sampling.add_argument("-o", "--output", required=True, help="folder for 0.png, 1.png, ...")
    sampling.add_argument("-n", "--num", type=int, default=8)
    sampling.add_argument("--start-scale", type=int, default=0)
    sampling.add_argument("--scale-h", type=float, default=1.0)
    sampling.add_argument("--scale-v", type=float, default=1.0)
    sampling.add_argument("--seed", type=int)
    sampling.set_defaults(run=_sample)

    add_task_commands(commands)

    evaluation = commands.add_parser("evaluate", help="print quality measures of a folder of samples as JSON")
    evaluation.add_argument("real", help="the real (training) image")
    evaluation.add_argument("samples", help="folder of generated images")
    evaluation.set_defaults(run=_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except USER_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = ": the finished scales are saved; carry on with --resume" if args.command == "train" else ""
        print(f"interrupted{hint}", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
