"""The `python -m singan_lite` subcommands of the manipulation tasks: parsing, then one library call each.

Every command checks its output name before it works, writes the files it names and
says what it wrote; errors propagate to `__main__.main`, which prints one line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from .imaging import load_image, save_image
from .model import SinGAN
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
from .training import EventCallback, IterationEvent


def _finetune_bar(iterations: int) -> EventCallback:
    bar = tqdm(total=iterations, desc="fine-tune", unit="it")

    def advance(event: IterationEvent) -> None:
        bar.update(1)
        if event.iteration == event.iterations:
            bar.close()

    return advance


def _image_output(path: str) -> Path:
    """Check the output name before any work is done, not after."""
    path = Path(path)
    if Image.registered_extensions().get(path.suffix.lower()) not in Image.SAVE:
        raise ValueError(f"cannot write '{path}': name the output .png (or .jpg, .webp, .bmp, .tif).")
    return path


def _paint(args: argparse.Namespace) -> None:
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


def _blend(args: argparse.Namespace) -> None:
    output = _image_output(args.output)
    task = edit if args.command == "edit" else harmonize
    result = task(SinGAN.load(args.model), args.image, args.mask, args.scale, seed=args.seed)
    raw = output.with_name(f"{output.stem}_raw{output.suffix}")
    print(f"wrote {save_image(result.blended, output)} (blended) and {save_image(result.raw, raw)} (raw)")


def _superres(args: argparse.Namespace) -> None:
    output = _image_output(args.output)
    image = super_resolve(SinGAN.load(args.model), args.image, seed=args.seed)
    print(f"wrote {save_image(image, output)} ({image.shape[-2]}x{image.shape[-1]})")


def _animate(args: argparse.Namespace) -> None:
    output = check_animation_path(args.output)
    model = SinGAN.load(args.model)
    frames = animate(
        model, args.frames, args.alpha, args.beta, args.start_scale, args.scale_h, args.scale_v, seed=args.seed
    )
    save_animation(frames, output, fps=args.fps)
    print(f"wrote {output} ({len(frames)} frames of {frames.shape[-2]}x{frames.shape[-1]} at {args.fps} fps)")


def _add_injection_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("-o", "--output", required=True, help="output image (.png)")
    command.add_argument("--scale", type=int, help="injection scale, 1 .. finest (default: the task's own)")
    command.add_argument("--seed", type=int)


def add_task_commands(commands: argparse._SubParsersAction) -> None:
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
    painting.set_defaults(run=_paint)

    for name, what in (("edit", "an edited image"), ("harmonize", "a composite with a pasted object")):
        blending = commands.add_parser(name, help=f"make {what} look natural; writes OUT (blended) and OUT_raw")
        blending.add_argument("model")
        blending.add_argument("image", help=what)
        blending.add_argument("mask", help="any image: non-black (or opaque) pixels mark the changed region")
        _add_injection_options(blending)
        blending.set_defaults(run=_blend)

    upsampling = commands.add_parser("superres", help="upsample with a model trained with --sr-factor")
    upsampling.add_argument("model")
    upsampling.add_argument("image", nargs="?", help="image to upsample (default: the training image)")
    upsampling.add_argument("-o", "--output", required=True, help="output image (.png)")
    upsampling.add_argument("--seed", type=int)
    upsampling.set_defaults(run=_superres)

    animation = commands.add_parser("animate", help="a looping animation (GIF, or MP4 with imageio-ffmpeg)")
    animation.add_argument("model")
    animation.add_argument("-o", "--output", required=True, help="OUT.gif or OUT.mp4")
    animation.add_argument("--frames", type=int, default=100)
    animation.add_argument("--fps", type=float, default=10)
    animation.add_argument("--alpha", type=float, default=0.1, help="pull towards the image (0..1)")
    animation.add_argument("--beta", type=float, default=0.9, help="momentum of the walk (0..1)")
    animation.add_argument("--start-scale", type=int, default=0)
    animation.add_argument("--scale-h", type=float, default=1.0)
    animation.add_argument("--scale-v", type=float, default=1.0)
    animation.add_argument("--seed", type=int)
    animation.set_defaults(run=_animate)
