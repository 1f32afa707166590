"""Re-create the README's pictures from the shipped models: docs/result.jpg, docs/gallery.png
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
GALLERY_HEIGHT = 160
# The README's result figure: these models, one row each, their training image and samples
# from the coarsest scale, which varies the layout most.
RESULT_MODELS = ("mountains", "rocks", "dune")
RESULT_SAMPLES = 4
RESULT_START_SCALE = 0
RESULT_SEED = 1
RESULT_HEIGHT = 120
LABEL_HEIGHT = 24
GAP = 4
RESULT_JPEG_QUALITY = 88


def _row(images: list[torch.Tensor], height: int) -> torch.Tensor:
    """Images side by side, each resized to one height with its aspect ratio kept."""
    cells = [resize(image, (height, round(image.shape[-1] * height / image.shape[-2]))) for image in images]
    return torch.cat(cells, dim=3)


def _stack(rows: list[torch.Tensor], width: int) -> torch.Tensor:
    """Rows one under another, padded on the right with white to a common width."""
    padded = [torch.nn.functional.pad(row, (0, width - row.shape[-1]), value=1.0) for row in rows]
    return torch.cat(padded, dim=2)


def gallery() -> Path:
    """Each shipped random-generation model: its training image, then two samples from the coarsest scale."""
    rows = []
    for path in sorted(MODELS.glob("*.safetensors")):
        model = SinGAN.load(path)
        if model.config.sr_factor is not None:
            continue
        samples = model.sample(2, start_scale=0, seed=0)
        rows.append(_row([model.training_image(), *samples.split(1)], GALLERY_HEIGHT))
    out = DOCS / "gallery.png"
    save_image(_stack(rows, max(row.shape[-1] for row in rows)), out)
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


def _cell(image: torch.Tensor, width: int) -> Image.Image:
    """One image at RESULT_HEIGHT x width (the rows' models differ a little in aspect ratio)."""
    return Image.fromarray(to_uint8(resize(image, (RESULT_HEIGHT, width))))


def result() -> Path:
    """A labelled grid: per model a row of its training image and samples; a label above each column."""
    labels = ["training image", *(f"sample {index}" for index in range(1, RESULT_SAMPLES + 1))]
    width = round(RESULT_HEIGHT * 4 / 3)
    step_x, step_y = width + GAP, RESULT_HEIGHT + GAP
    canvas = Image.new("RGB", (len(labels) * step_x - GAP, LABEL_HEIGHT + len(RESULT_MODELS) * step_y - GAP), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=15)
    for column, label in enumerate(labels):
        draw.text((column * step_x + width / 2, LABEL_HEIGHT / 2), label, fill="black", font=font, anchor="mm")
    for row, name in enumerate(RESULT_MODELS):
        model = SinGAN.load(MODELS / f"{name}.safetensors")
        samples = model.sample(RESULT_SAMPLES, start_scale=RESULT_START_SCALE, seed=RESULT_SEED)
        for column, image in enumerate([model.training_image(), *samples.split(1)]):
            canvas.paste(_cell(image, width), (column * step_x, LABEL_HEIGHT + row * step_y))
    out = DOCS / "result.jpg"
    # JPEG: a photo grid this size would take several times the bytes as PNG.
    canvas.save(out, quality=RESULT_JPEG_QUALITY, optimize=True)
    return out


if __name__ == "__main__":
    print(result())
    print(gallery())
    print(samples_mountains())
