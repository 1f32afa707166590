"""Re-create the README's pictures from the shipped models: docs/result.jpg, docs/gallery.jpg
and docs/samples_mountains.png.

    python -m scripts.make_docs_images

Run it after `python -m benchmarks.train_assets`, so the pictures in the README show
what the shipped models make. Seeds are fixed: the same models give the same pictures.
"""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image, ImageDraw, ImageFont

from singan_lite import SinGAN, resize, save_image, to_uint8

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "assets" / "models"
DOCS = ROOT / "docs"
# Both labelled figures show samples from the coarsest scale, which varies the layout most,
# drawn with seed 1: in model files whose z* came from torch's stream for seed 0, a seed-0
# sample would start as the training image (docs/design.md#z-star-from-its-own-random-family).
START_SCALE = 0
SEED = 1
# The README's result figure: these models, one row each, their training image and samples.
RESULT_MODELS = ("mountains", "rocks", "dune")
RESULT_SAMPLES = 4
RESULT_HEIGHT = 120
# The gallery: every shipped random-generation model, its training image and two samples.
GALLERY_SAMPLES = 2
GALLERY_HEIGHT = 150
LABEL_HEIGHT = 24
NAME_WIDTH = 90
GAP = 4
# JPEG: a photo grid this size would take several times the bytes as PNG.
JPEG_QUALITY = 88


def _row(images: list[torch.Tensor], height: int) -> torch.Tensor:
    """Images side by side, each resized to one height with its aspect ratio kept."""
    cells = [resize(image, (height, round(image.shape[-1] * height / image.shape[-2]))) for image in images]
    return torch.cat(cells, dim=3)


def _stack(rows: list[torch.Tensor], width: int) -> torch.Tensor:
    """Rows one under another, padded on the right with white to a common width."""
    padded = [torch.nn.functional.pad(row, (0, width - row.shape[-1]), value=1.0) for row in rows]
    return torch.cat(padded, dim=2)


def gallery() -> Path:
    """Each shipped random-generation model, named: its training image, then two samples."""
    names = []
    for path in sorted(MODELS.glob("*.safetensors")):
        if SinGAN.load(path).config.sr_factor is None:
            names.append(path.stem)
    out = DOCS / "gallery.jpg"
    grid = _labelled_grid(names, GALLERY_SAMPLES, GALLERY_HEIGHT, name_rows=True)
    grid.save(out, quality=JPEG_QUALITY, optimize=True)
    return out


def samples_mountains() -> Path:
    """Real and samples from scales 0, 1 and 3, then two double-width samples (from scales 0 and 2)."""
    model = SinGAN.load(MODELS / "mountains.safetensors")
    height = model.sizes[-1][0]
    rows = [
        _row([model.training_image(), *model.sample(3, start_scale=0, seed=1).split(1)], height),
        _row(list(model.sample(4, start_scale=1, seed=2).split(1)), height),
        _row(list(model.sample(4, start_scale=3, seed=3).split(1)), height),
        _row(
            [model.sample(1, start_scale=0, stretch_h=2.0, seed=4), model.sample(1, 2, stretch_h=2.0, seed=5)], height
        ),
    ]
    out = DOCS / "samples_mountains.png"
    save_image(_stack(rows, max(row.shape[-1] for row in rows)), out)
    return out


def _labelled_grid(names: list[str], samples: int, height: int, name_rows: bool) -> Image.Image:
    """Per model a row of its training image and samples, a label above each column, and with
    `name_rows` the model's name (as the app and the command line call it) and the preset it was
    trained with left of its row.
    Every cell is 4:3 (the models differ a little in aspect ratio); a tall image is shown in it squeezed.
    """
    labels = ["training image", *(f"sample {index}" for index in range(1, samples + 1))]
    width = round(height * 4 / 3)
    step_x, step_y = width + GAP, height + GAP
    left = NAME_WIDTH if name_rows else 0
    canvas = Image.new("RGB", (left + len(labels) * step_x - GAP, LABEL_HEIGHT + len(names) * step_y - GAP), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=15)
    for column, label in enumerate(labels):
        draw.text((left + column * step_x + width / 2, LABEL_HEIGHT / 2), label, fill="black", font=font, anchor="mm")
    for row, name in enumerate(names):
        top = LABEL_HEIGHT + row * step_y
        model = SinGAN.load(MODELS / f"{name}.safetensors")
        if name_rows:
            middle = top + height / 2
            draw.text((NAME_WIDTH - 2 * GAP, middle), name, fill="black", font=font, anchor="rb")
            draw.text((NAME_WIDTH - 2 * GAP, middle + GAP), model.config.preset, fill="grey", font=font, anchor="rt")
        drawn = model.sample(samples, start_scale=START_SCALE, seed=SEED)
        for column, image in enumerate([model.training_image(), *drawn.split(1)]):
            cell = Image.fromarray(to_uint8(resize(image, (height, width))))
            canvas.paste(cell, (left + column * step_x, top))
    return canvas


def result() -> Path:
    """The README's first picture: a few models, their training image and four samples each."""
    out = DOCS / "result.jpg"
    grid = _labelled_grid(list(RESULT_MODELS), RESULT_SAMPLES, RESULT_HEIGHT, name_rows=False)
    grid.save(out, quality=JPEG_QUALITY, optimize=True)
    return out


if __name__ == "__main__":
    print(result())
    print(gallery())
    print(samples_mountains())
