"""The `singan-lite` command (also `python -m singan_lite`): argument parsing only; the work happens in the library.

Each command is one `add_*` function that registers its subparser and points it at a `_run_*`
function; `COMMANDS` lists them in the order `--help` shows, so a new command is one more
function and one more entry. Bad input ends with exit code 2 and one line that says what to
do, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from .config import PRESETS, TrainConfig, preset_values, preset_with_options
from .estimate import describe_duration, estimate_on_machine, estimate_training_seconds, measured_speed_fits
from .imaging import ImageError, image_files, load_image, save_image
from .many import add_train_many_command
from .memory import MAX_OUTPUT_PIXELS
from .metrics import evaluate
from .model import ModelFileError, SinGAN, make_rng
from .networks import NUM_CONVS
from .pyramid import plan_pyramid
from .speed_probe import measure_machine_speed
from .tasks import (
    animate,
    check_animation_path,
    edit,
    finetune_for_paint,
    harmonize,
    paint_to_image,
    save_animation,
    super_resolve,
)
from .tasks.paint import FINETUNE_ITERATIONS
from .training import (
    EventCallback,
    IterationEvent,
    ScaleEvent,
    TrainingEvent,
    pyramid_for,
    resolve_device,
    train,
)

USER_ERRORS = (ImageError, ModelFileError, ValueError, FileNotFoundError)

Subcommands = argparse._SubParsersAction


# --- pyramid -------------------------------------------------------------------------------


def _run_pyramid(args: argparse.Namespace) -> None:
    height, width = load_image(args.image).shape[-2:]
    plan = plan_pyramid(height, width, args.min_size, args.max_size, args.scale_factor)
    print(json.dumps({"scale_factor": plan.scale_factor, "scales": [list(s) for s in plan.sizes]}))


def add_pyramid(commands: Subcommands) -> None:
    pyramid = commands.add_parser("pyramid", help="print the pyramid's scale sizes as JSON")
    pyramid.add_argument("image")
    pyramid.add_argument("--max-size", type=int, default=250)
    pyramid.add_argument("--min-size", type=int, default=25)
    pyramid.add_argument("--scale-factor", type=float, default=0.75)
    pyramid.set_defaults(run=_run_pyramid)


# --- train ---------------------------------------------------------------------------------


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


# A run the fitted estimate puts under a minute starts without a word (`paper` excepted) and
# without the probes, whose two seconds would be a large part of it.
ANNOUNCE_FROM_SECONDS = 60.0


def _announce_cost(config: TrainConfig, sizes: Sequence[tuple[int, int]], first_scale: int, device: str) -> None:
    """Say how long a run of minutes will take before starting it, at the speed measured on this
    machine's CPU where it fits the recipe (singan_lite.speed_probe); `paper`, which trains every
    scale on its whole image, always says it.
    """
    on_cuda = resolve_device(device).type == "cuda"
    fitted = estimate_training_seconds(config, sizes, first_scale)
    minutes = fitted >= ANNOUNCE_FROM_SECONDS
    if config.preset != "paper" and (on_cuda or not minutes):
        return
    # No probe where its speed would not be used.
    speed = measure_machine_speed() if minutes and not on_cuda and measured_speed_fits(config) else None
    seconds, measured = estimate_on_machine(config, sizes, speed, first_scale)
    where = "on this machine's CPU" if measured else "on a 2-core CPU"
    hints = ["Ctrl+C keeps the finished scales for --resume"]
    if config.preset == "paper":
        faster = "on CUDA it runs much faster than this CPU estimate" if on_cuda else "--preset fast trains in minutes"
        hints.insert(0, faster)
    print(
        f"the {config.preset} preset: {len(sizes) - first_scale} scales, "
        f"{config.total_iterations(len(sizes), first_scale)} iterations, "
        f"about {describe_duration(seconds)} {where} ({'; '.join(hints)})",
        file=sys.stderr,
    )


def _run_train(args: argparse.Namespace) -> None:
    output = Path(args.output)
    resume = None
    if args.resume and output.exists():
        resume = SinGAN.load(output)
        print(f"resuming {output}: {resume.trained_scales} of {resume.num_scales} scales done", file=sys.stderr)
    config = preset_with_options(
        args.preset,
        seed=args.seed,
        max_size=args.max_size,
        min_size=args.min_size,
        iterations=args.iters,
        batch_norm=args.batch_norm,
        coarsest_convs=args.coarsest_convs,
    )
    if args.sr_factor is not None:
        config = config.with_super_resolution(args.sr_factor)
    if resume is None and args.image is None:
        raise ValueError("give the IMAGE to train on.")

    if resume is not None:
        image, config, sizes, first_scale = None, resume.config, resume.sizes, resume.trained_scales
    else:
        image = load_image(args.image)
        sizes, first_scale = pyramid_for(config, *image.shape[-2:]).sizes, 0
    _announce_cost(config, sizes, first_scale, args.device)

    model = train(
        image,
        config,
        resume=resume,
        checkpoint=output,
        on_event=_ProgressBar(Path(args.snapshots) if args.snapshots else None),
        device=args.device,
        threads=args.threads,
    )
    print(f"saved {output} ({model.trained_scales} scales)")


def _thread_count(text: str) -> int | str:
    if text == "auto":
        return text
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected auto or a positive whole number, got {text!r}")
    return int(text)


def add_train(commands: Subcommands) -> None:
    training = commands.add_parser("train", help="train a model on one image")
    training.add_argument("image", nargs="?", help="the training image (optional with --resume)")
    training.add_argument("-o", "--output", required=True, help="model file (.safetensors)")
    training.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="fast",
        help="fast (default: minutes on a CPU), quality (about 15 minutes; new layouts), "
        "paper (the published recipe: hours)",
    )
    training.add_argument("--max-size", type=int)
    training.add_argument(
        "--min-size", type=int, help="the coarsest scale's short side (overrides the preset; larger: more varied)"
    )
    training.add_argument("--iters", type=int, help="iterations per scale (overrides the preset)")
    training.add_argument(
        "--coarsest-convs",
        type=int,
        choices=range(2, NUM_CONVS + 1),
        help=f"convolutions in the coarsest generator (overrides the preset's: {preset_values('coarsest_convs')}; "
        "fewer: new layouts, at some cost in texture)",
    )
    training.add_argument(
        "--batch-norm",
        action=argparse.BooleanOptionalAction,
        help="batch norm in every network (overrides the preset; --no-batch-norm: more varied samples)",
    )
    training.add_argument("--seed", type=int, default=0)
    training.add_argument("--device", default="auto", help="auto, cpu or cuda")
    training.add_argument(
        "--threads",
        type=_thread_count,
        default="auto",
        help="CPU threads: auto (default: as many as help on this machine now) or a number (reproducible)",
    )
    training.add_argument("--snapshots", help="folder for each scale's real/reconstruction/sample")
    training.add_argument("--resume", action="store_true", help="carry on from the scales saved in OUTPUT")
    training.add_argument("--sr-factor", type=float, help="train for super-resolution by this factor")
    training.set_defaults(run=_run_train)


# --- sample --------------------------------------------------------------------------------


def _run_sample(args: argparse.Namespace) -> None:
    if args.num < 1:
        raise ValueError("-n must be at least 1.")
    model = SinGAN.load(args.model)
    height, width = model.stretched_sizes(args.stretch_h, args.stretch_v)[model.trained_scales - 1]
    # One batch, unless the samples together pass the library's output limit: then batches that
    # fit it, drawn from one random stream and written as they come, so memory stays bounded.
    batch = max(1, min(args.num, MAX_OUTPUT_PIXELS // (height * width)))
    rng = make_rng(args.seed)
    out = Path(args.output)
    for first in range(0, args.num, batch):
        count = min(batch, args.num - first)
        samples = model.sample(count, args.start_scale, args.stretch_h, args.stretch_v, rng=rng, variety=args.variety)
        for index, image in enumerate(samples, first):
            save_image(image, out / f"{index}.png")
    print(f"wrote {args.num} samples of {height}x{width} to {out}")


def _add_sampling_options(parser: argparse.ArgumentParser) -> None:
    """Where random generation starts, the output's stretch and the variety: shared by sample and animate."""
    parser.add_argument("--start-scale", type=int, default=0)
    parser.add_argument("--stretch-h", "--scale-h", type=float, default=1.0, help="times the trained width")
    parser.add_argument("--stretch-v", "--scale-v", type=float, default=1.0, help="times the trained height")
    parser.add_argument(
        "--variety",
        type=float,
        help="times the start scale's noise: above 1, layouts further from the training image and less real; "
        "below 1, a model whose coarsest generator has fewer than 5 convolutions (quality's has 4) can lose "
        "its scene (default: the model's own, usually 1)",
    )


def add_sample(commands: Subcommands) -> None:
    sampling = commands.add_parser("sample", help="draw random samples from a model")
    sampling.add_argument("model")
    sampling.add_argument("-o", "--output", required=True, help="folder for 0.png, 1.png, ...")
    sampling.add_argument("-n", "--num", type=int, default=8)
    _add_sampling_options(sampling)
    sampling.add_argument("--seed", type=int)
    sampling.set_defaults(run=_run_sample)


# --- manipulation tasks: each checks its output name before it works, then says what it wrote ---


def _image_output(path: str) -> Path:
    """Check the output name before any work is done, not after."""
    path = Path(path)
    if Image.registered_extensions().get(path.suffix.lower()) not in Image.SAVE:
        raise ValueError(f"cannot write '{path}': name the output .png (or .jpg, .webp, .bmp, .tif).")
    return path


def _add_injection_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("-o", "--output", required=True, help="output image (.png)")
    command.add_argument("--scale", type=int, help="injection scale, 1 .. finest (default: the task's own)")
    command.add_argument("--seed", type=int)


def _finetune_bar(iterations: int) -> EventCallback:
    bar = tqdm(total=iterations, desc="fine-tune", unit="it")

    def advance(event: IterationEvent) -> None:
        bar.update(1)
        if event.iteration == event.iterations:
            bar.close()

    return advance


def _run_paint(args: argparse.Namespace) -> None:
    output = _image_output(args.output)
    if args.save_model and not args.quantize:
        raise ValueError("--save-model saves the fine-tuned model of --quantize; add --quantize.")
    model = SinGAN.load(args.model)
    painting = load_image(args.painting)
    if args.quantize:
        model = finetune_for_paint(model, args.scale, args.finetune_iters, on_event=_finetune_bar(args.finetune_iters))
        if args.save_model:
            print(f"saved {model.save(args.save_model)} (fine-tuned for quantised paintings)")
    image = paint_to_image(model, painting, args.scale, quantize=args.quantize, seed=args.seed)
    print(f"wrote {save_image(image, output)}")


def add_paint(commands: Subcommands) -> None:
    painting = commands.add_parser("paint", help="turn a clip-art painting into an image")
    painting.add_argument("model")
    painting.add_argument("painting")
    _add_injection_options(painting)
    painting.add_argument("--quantize", action="store_true", help="snap to 5 colours and fine-tune the generator")
    painting.add_argument(
        "--finetune-iters",
        type=int,
        default=FINETUNE_ITERATIONS,
        help=f"with --quantize (default {FINETUNE_ITERATIONS})",
    )
    painting.add_argument("--save-model", help="with --quantize: where to save the fine-tuned model")
    painting.set_defaults(run=_run_paint)


def _run_blend(args: argparse.Namespace) -> None:
    output = _image_output(args.output)
    task = edit if args.command == "edit" else harmonize
    result = task(SinGAN.load(args.model), args.image, args.mask, args.scale, seed=args.seed)
    raw = output.with_name(f"{output.stem}_raw{output.suffix}")
    print(f"wrote {save_image(result.blended, output)} (blended) and {save_image(result.raw, raw)} (raw)")


def add_edit_and_harmonize(commands: Subcommands) -> None:
    for name, what in (("edit", "an edited image"), ("harmonize", "a composite with a pasted object")):
        blending = commands.add_parser(name, help=f"make {what} look natural; writes OUT (blended) and OUT_raw")
        blending.add_argument("model")
        blending.add_argument("image", help=what)
        blending.add_argument("mask", help="any image: non-black (or opaque) pixels mark the changed region")
        _add_injection_options(blending)
        blending.set_defaults(run=_run_blend)


def _run_superres(args: argparse.Namespace) -> None:
    output = _image_output(args.output)
    image = super_resolve(SinGAN.load(args.model), args.image, seed=args.seed)
    print(f"wrote {save_image(image, output)} ({image.shape[-2]}x{image.shape[-1]})")


def add_superres(commands: Subcommands) -> None:
    upsampling = commands.add_parser("superres", help="upsample with a model trained with --sr-factor")
    upsampling.add_argument("model")
    upsampling.add_argument("image", nargs="?", help="image to upsample (default: the training image)")
    upsampling.add_argument("-o", "--output", required=True, help="output image (.png)")
    upsampling.add_argument("--seed", type=int)
    upsampling.set_defaults(run=_run_superres)


def _run_animate(args: argparse.Namespace) -> None:
    output = check_animation_path(args.output)
    model = SinGAN.load(args.model)
    frames = animate(
        model,
        args.frames,
        args.alpha,
        args.beta,
        args.start_scale,
        args.stretch_h,
        args.stretch_v,
        seed=args.seed,
        variety=args.variety,
    )
    save_animation(frames, output, fps=args.fps)
    print(f"wrote {output} ({len(frames)} frames of {frames.shape[-2]}x{frames.shape[-1]} at {args.fps} fps)")


def add_animate(commands: Subcommands) -> None:
    animation = commands.add_parser("animate", help="a looping animation (GIF, or MP4 with imageio-ffmpeg)")
    animation.add_argument("model")
    animation.add_argument("-o", "--output", required=True, help="OUT.gif or OUT.mp4")
    animation.add_argument("--frames", type=int, default=100)
    animation.add_argument("--fps", type=float, default=10)
    animation.add_argument("--alpha", type=float, default=0.1, help="pull towards the image (0..1)")
    animation.add_argument("--beta", type=float, default=0.9, help="momentum of the walk (0..1)")
    _add_sampling_options(animation)
    animation.add_argument("--seed", type=int)
    animation.set_defaults(run=_run_animate)


# --- evaluate ------------------------------------------------------------------------------


def _run_evaluate(args: argparse.Namespace) -> None:
    files = image_files(args.samples)
    print(json.dumps(evaluate(load_image(args.real), [load_image(path) for path in files])))


def add_evaluate(commands: Subcommands) -> None:
    evaluation = commands.add_parser("evaluate", help="print quality measures of a folder of samples as JSON")
    evaluation.add_argument("real", help="the real (training) image")
    evaluation.add_argument("samples", help="folder of generated images")
    evaluation.set_defaults(run=_run_evaluate)


# --- the command line ----------------------------------------------------------------------

COMMANDS: tuple[Callable[[Subcommands], None], ...] = (
    add_pyramid,
    add_train,
    add_train_many_command,
    add_sample,
    add_paint,
    add_edit_and_harmonize,
    add_superres,
    add_animate,
    add_evaluate,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="singan-lite", description="SinGAN that trains on a CPU: train a model on one image, sample it, use it."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for add_command in COMMANDS:
        add_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.run(args)
    except USER_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = ": the finished scales are saved; carry on with --resume" if args.command == "train" else ""
        print(f"interrupted{hint}", file=sys.stderr)
        return 130
    # Commands that report partial failure (train-many) return their exit code; the rest return None.
    return code or 0
