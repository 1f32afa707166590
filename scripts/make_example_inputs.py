"""Make the example inputs of the manipulation tasks from the bundled sample images.

SinGAN's paint-to-image, editing and harmonization tasks each need an extra
input beside the training image: a clip-art painting, or a composite plus a
mask of the pasted region.  This script draws those inputs deterministically
(fixed coordinates, no randomness) from ``assets/images/*.png`` only, so every
file it writes carries the licence of the image(s) it was made from (see
``assets/README.md``).  Run it from the repository root::

    python scripts/make_example_inputs.py

It uses PIL and numpy only and overwrites the files in ``assets/inputs/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "assets" / "images"
INPUTS = ROOT / "assets" / "inputs"

Point = tuple[int, int]
Colour = tuple[int, int, int]


def load(name: str) -> Image.Image:
    """Load ``assets/images/<name>.png`` as RGB."""
    return Image.open(IMAGES / f"{name}.png").convert("RGB")


def sample_colour(img: Image.Image, xy: Point, radius: int = 3) -> Colour:
    """Median colour of the (2*radius+1)^2 patch centred on ``xy``."""
    arr = np.asarray(img)
    x, y = xy
    patch = arr[max(y - radius, 0) : y + radius + 1, max(x - radius, 0) : x + radius + 1]
    med = np.median(patch.reshape(-1, 3), axis=0)
    return (int(med[0]), int(med[1]), int(med[2]))


def save(img: Image.Image, name: str) -> None:
    """Save ``img`` as ``assets/inputs/<name>.png``."""
    INPUTS.mkdir(parents=True, exist_ok=True)
    img.save(INPUTS / f"{name}.png", optimize=True)


def binary_mask(mask: np.ndarray) -> Image.Image:
    """Turn a boolean array into an 8-bit mask: 255 where True, 0 elsewhere."""
    return Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), mode="L")


def polygon_mask(size: tuple[int, int], polygon: list[Point]) -> np.ndarray:
    """Boolean (h, w) array that is True inside ``polygon``."""
    canvas = Image.new("L", size, 0)
    ImageDraw.Draw(canvas).polygon(polygon, fill=255)
    return np.asarray(canvas) > 127


def ellipse_mask(size: tuple[int, int]) -> np.ndarray:
    """Boolean (h, w) array that is True inside the ellipse inscribed in ``size``."""
    canvas = Image.new("L", size, 0)
    ImageDraw.Draw(canvas).ellipse((0, 0, size[0] - 1, size[1] - 1), fill=255)
    return np.asarray(canvas) > 127


def morph(mask: np.ndarray, grow: bool, steps: int = 1) -> np.ndarray:
    """3x3 binary dilation (``grow``) or erosion, repeated ``steps`` times."""
    out = mask.copy()
    for _ in range(steps):
        padded = np.pad(out, 1, mode="constant", constant_values=not grow)
        shifted = [
            padded[1 + dy : 1 + dy + out.shape[0], 1 + dx : 1 + dx + out.shape[1]]
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
        ]
        out = np.logical_or.reduce(shifted) if grow else np.logical_and.reduce(shifted)
    return out


def paste(
    target: Image.Image,
    source: Image.Image,
    box: tuple[int, int, int, int],
    dest: Point,
    shape: np.ndarray,
) -> tuple[Image.Image, Image.Image]:
    """Paste the pixels of ``source.crop(box)`` where ``shape`` is True at ``dest``.

    Returns the composite and its mask (white where pasted).  ``shape`` has the
    crop's (h, w) size; the pasted region is clipped to the target's bounds.
    """
    crop = np.asarray(source.crop(box))
    out = np.asarray(target).copy()
    mask = np.zeros(out.shape[:2], dtype=bool)
    x0, y0 = dest
    h = min(crop.shape[0], out.shape[0] - y0)
    w = min(crop.shape[1], out.shape[1] - x0)
    sel = shape[:h, :w]
    region = out[y0 : y0 + h, x0 : x0 + w]
    region[sel] = crop[:h, :w][sel]
    mask[y0 : y0 + h, x0 : x0 + w] = sel
    return Image.fromarray(out), binary_mask(mask)


# --------------------------------------------------------------------------- #
# paint-to-image: flat-colour clip art in the training image's palette
# --------------------------------------------------------------------------- #
def paint_mountains() -> Image.Image:
    """Clip art of mountains.png: sky, cloud, two rock masses, snow, meadow, path."""
    src = load("mountains")
    sky = sample_colour(src, (200, 10))
    cloud = sample_colour(src, (45, 45))
    rock = sample_colour(src, (150, 80))
    rock_dark = sample_colour(src, (12, 62))
    snow = sample_colour(src, (215, 118), radius=2)
    meadow = sample_colour(src, (185, 160))
    path = sample_colour(src, (62, 170), radius=2)

    img = Image.new("RGB", src.size, sky)
    d = ImageDraw.Draw(img)
    for box in [
        (14, 18, 60, 52),
        (35, 28, 95, 70),
        (75, 45, 118, 78),
        (88, 40, 122, 62),
    ]:
        d.ellipse(box, fill=cloud)
    d.polygon(
        [
            (88, 110),
            (100, 70),
            (112, 45),
            (128, 38),
            (147, 37),
            (162, 46),
            (185, 47),
            (210, 40),
            (235, 31),
            (250, 25),
            (250, 125),
            (88, 125),
        ],
        fill=rock,
    )
    d.polygon(
        [
            (0, 38),
            (6, 34),
            (22, 52),
            (40, 62),
            (58, 64),
            (70, 72),
            (84, 82),
            (96, 96),
            (96, 104),
            (0, 100),
        ],
        fill=rock_dark,
    )
    d.polygon(
        [
            (128, 103),
            (166, 107),
            (200, 103),
            (250, 100),
            (250, 126),
            (212, 127),
            (160, 118),
        ],
        fill=snow,
    )
    d.polygon([(0, 82), (60, 90), (110, 105), (250, 122), (250, 188), (0, 188)], fill=meadow)
    d.polygon(
        [(106, 108), (78, 128), (42, 150), (22, 188), (80, 188), (78, 150), (112, 112)],
        fill=path,
    )
    return img


def paint_autumn() -> Image.Image:
    """Clip art of autumn.png: sky, rocky ridge, orange forest, a fir, green meadow."""
    src = load("autumn")
    sky = sample_colour(src, (30, 10))
    ridge = sample_colour(src, (140, 45))
    forest = sample_colour(src, (40, 75))
    trees = sample_colour(src, (220, 95))
    fir = sample_colour(src, (187, 92), radius=2)
    meadow = sample_colour(src, (120, 145))

    img = Image.new("RGB", src.size, sky)
    d = ImageDraw.Draw(img)
    d.polygon(
        [
            (10, 42),
            (40, 33),
            (80, 27),
            (103, 23),
            (135, 20),
            (160, 26),
            (195, 23),
            (222, 33),
            (250, 42),
            (250, 125),
            (10, 125),
        ],
        fill=ridge,
    )
    d.polygon(
        [
            (0, 36),
            (25, 42),
            (55, 52),
            (85, 60),
            (110, 68),
            (135, 84),
            (160, 95),
            (172, 112),
            (0, 112),
        ],
        fill=forest,
    )
    d.polygon([(192, 88), (212, 72), (235, 62), (250, 56), (250, 126), (180, 122)], fill=trees)
    d.polygon([(188, 66), (197, 90), (205, 114), (171, 116), (179, 92)], fill=fir)
    d.polygon([(0, 100), (80, 104), (150, 112), (250, 125), (250, 166), (0, 166)], fill=meadow)
    return img


# --------------------------------------------------------------------------- #
# editing: copy a part of the image and paste it elsewhere in the same image
# --------------------------------------------------------------------------- #
def edit_mountains() -> tuple[Image.Image, Image.Image]:
    """Copy the central rock peak of mountains.png onto the left: an extra peak."""
    src = load("mountains")
    box = (110, 36, 162, 100)  # 52 x 64 crop around the central peak
    w, h = box[2] - box[0], box[3] - box[1]
    peak = polygon_mask((w, h), [(0, h), (0, 22), (10, 10), (20, 3), (34, 0), (46, 8), (w, 16), (w, h)])
    return paste(src, src, box, (40, 34), peak)


def edit_rocks() -> tuple[Image.Image, Image.Image]:
    """Duplicate the big boulder of rocks.png into the stream bed."""
    src = load("rocks")
    box = (138, 78, 196, 124)  # 58 x 46 crop around the right-hand boulder
    shape = ellipse_mask((box[2] - box[0], box[3] - box[1]))
    return paste(src, src, box, (72, 116), shape)


# --------------------------------------------------------------------------- #
# harmonization: paste a region cut from a different image (other palette)
# --------------------------------------------------------------------------- #
def harmonize_painting() -> tuple[Image.Image, Image.Image]:
    """Paste a green, sunlit tree crown cut from rocks.png into the blue painting."""
    target = load("painting")
    source = load("rocks")
    box = (145, 0, 205, 46)
    crown = ellipse_mask((box[2] - box[0], box[3] - box[1]))
    return paste(target, source, box, (42, 118), crown)


def harmonize_clouds() -> tuple[Image.Image, Image.Image]:
    """Paste the bright white cloud of mountains.png into the dark storm sky of clouds.png."""
    target = load("clouds")
    source = load("mountains")
    box = (10, 12, 122, 80)
    arr = np.asarray(source.crop(box)).astype(np.int16)
    whitish = (arr.min(axis=2) > 165) & (arr[..., 2] - arr[..., 0] < 45)
    # close small holes, drop speckles, then trim the blue fringe by one pixel
    shape = morph(morph(whitish, grow=True, steps=2), grow=False, steps=3)
    return paste(target, source, box, (122, 14), shape)


def main() -> None:
    """Write every example input into ``assets/inputs/``."""
    save(paint_mountains(), "paint_mountains")
    save(paint_autumn(), "paint_autumn")
    for name, make in [
        ("edit_mountains", edit_mountains),
        ("edit_rocks", edit_rocks),
        ("harmonize_painting", harmonize_painting),
        ("harmonize_clouds", harmonize_clouds),
    ]:
        composite, mask = make()
        save(composite, name)
        save(mask, f"{name}_mask")
    for path in sorted(INPUTS.glob("*.png")):
        with Image.open(path) as img:
            print(f"{path.relative_to(ROOT)}  {img.height}x{img.width}  {img.mode}")


if __name__ == "__main__":
    main()
