"""Images in and out of the library, resizing, and masks.

Every image inside the library is a float tensor of shape (N, 3, H, W) in [-1, 1].
Everything that reaches the outside world (files, the app, notebooks) passes
through this module, so odd inputs (grey, palette, RGBA, 16-bit, rotated JPEGs,
corrupt files) are dealt with in exactly one place.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"})


def image_files(folder: str | Path) -> list[Path]:
    """The folder's image files (by suffix, not in subfolders), sorted by name; none is an error."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"'{folder}' is not a folder of images.")
    files = sorted(path for path in folder.iterdir() if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"'{folder}' holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}).")
    return files


ImageSource = str | Path | bytes | np.ndarray | Image.Image | torch.Tensor

SUPPORTED_FORMATS = "PNG, JPEG, WebP, BMP or TIFF"

# Blend weights below this are rounded to zero (see soften_mask).
NEGLIGIBLE_WEIGHT = 1 / 1024

# Far beyond anything SinGAN trains on, but small enough to refuse decompression bombs.
MAX_PIXELS = 64_000_000


class ImageError(ValueError):
    """An input image or mask that the library cannot use; the message says what to do."""


def _open_pil(source: str | Path | bytes) -> Image.Image:
    label = "the uploaded data" if isinstance(source, bytes) else f"'{source}'"
    try:
        handle = io.BytesIO(source) if isinstance(source, bytes) else source
        image = Image.open(handle)
        if image.width * image.height > MAX_PIXELS:
            raise ImageError(
                f"{label} is {image.width}x{image.height} pixels, too large to read; "
                "downscale it below 64 megapixels first."
            )
        image.load()
    except FileNotFoundError as error:
        raise ImageError(f"{label} does not exist.") from error
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ImageError(f"{label} is not a readable image: use a {SUPPORTED_FORMATS} file ({error}).") from error
    return ImageOps.exif_transpose(image)


def _pil_to_array(image: Image.Image) -> np.ndarray:
    """Bring every PIL mode to an (H, W, 3) float array in [0, 1]."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        grey = np.asarray(image, dtype=np.float64) / 65535.0
        return np.repeat(grey[..., None], 3, axis=2)
    if image.mode in ("I", "F"):
        grey = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if grey.max() > 255 else 255.0
        if image.mode == "F" and grey.max() <= 1.0:
            peak = 1.0
        return np.repeat(np.clip(grey / peak, 0, 1)[..., None], 3, axis=2)
    return np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0


def _array_to_unit(array: np.ndarray) -> np.ndarray:
    """Normalise an (H, W), (H, W, 1|3|4) array of any integer or float dtype to [0, 1] RGB."""
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4):
        raise ImageError(f"expected an image array of shape (H, W) or (H, W, C), got {array.shape}.")
    channels = array.shape[2]
    colour = array[..., :1] if channels in (1, 2) else array[..., :3]
    if np.issubdtype(array.dtype, np.integer):
        peak = float(np.iinfo(array.dtype).max) if array.dtype != np.uint8 else 255.0
        if array.dtype not in (np.uint8, np.uint16):
            peak = 65535.0 if colour.max() > 255 else 255.0
        unit = colour.astype(np.float64) / peak
    else:
        unit = np.clip(colour.astype(np.float64), 0.0, 1.0)
    return np.repeat(unit, 3, axis=2) if unit.shape[2] == 1 else unit


def load_image(source: ImageSource) -> torch.Tensor:
    """Read any supported image (path, bytes, array, PIL image) as a (1, 3, H, W) tensor in [-1, 1].

    Alpha is dropped and grey replicated to RGB, as in the paper; EXIF rotation is
    applied so a phone photo trains the right way up.
    """
    if isinstance(source, torch.Tensor):
        if source.ndim != 4 or source.shape[1] != 3:
            raise ImageError(f"expected a (N, 3, H, W) tensor, got shape {tuple(source.shape)}.")
        return source.float().clamp(-1, 1)
    if isinstance(source, Image.Image):
        unit = _pil_to_array(ImageOps.exif_transpose(source))
    elif isinstance(source, np.ndarray):
        unit = _array_to_unit(source)
    elif isinstance(source, (str, Path, bytes)):
        unit = _pil_to_array(_open_pil(source))
    else:
        raise ImageError(f"cannot read an image from a {type(source).__name__}.")
    tensor = torch.from_numpy(np.ascontiguousarray(unit.transpose(2, 0, 1))).float()
    return (tensor * 2 - 1).unsqueeze(0)


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(1, 3, H, W) or (3, H, W) tensor in [-1, 1] -> (H, W, 3) uint8 array."""
    if image.ndim == 4:
        image = image[0]
    unit = ((image.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round()
    return unit.byte().permute(1, 2, 0).numpy()


def save_image(image: torch.Tensor, path: str | Path) -> Path:
    """Write a lossless PNG (or whatever the suffix asks for) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(to_uint8(image)).save(path)
    return path


def resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Antialiased bicubic resize, the modern stand-in for MATLAB's imresize."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    resized = F.interpolate(image, size=size, mode="bicubic", align_corners=False, antialias=True)
    return resized.clamp(-1, 1)


def _mask_region(source: ImageSource) -> np.ndarray:
    """Boolean (H, W) region: opaque pixels where the mask has real transparency, else non-black."""
    if isinstance(source, (str, Path, bytes)):
        source = _open_pil(source)
    if isinstance(source, Image.Image) and ("A" in source.getbands() or "transparency" in source.info):
        source = np.asarray(source.convert("RGBA"))
    if isinstance(source, np.ndarray) and source.ndim == 3 and source.shape[2] in (2, 4):
        alpha = source[..., -1]
        if alpha.min() < alpha.max():
            return alpha > 0
        source = source[..., :-1]
    grey = load_image(source).amax(dim=1)[0]
    return (grey > -1 + 2 / 255).numpy()


def load_mask(source: ImageSource, size: tuple[int, int]) -> torch.Tensor:
    """Read a mask of any size or kind as a (1, 1, H, W) tensor in {0, 1} at `size`.

    The region is where the mask is opaque (for images with transparency) or non-black
    (for everything else), so a user can paint it in any editor with any colour.
    """
    region = torch.from_numpy(np.ascontiguousarray(_mask_region(source))).float()[None, None]
    mask = F.interpolate(region, size=size, mode="nearest")
    if mask.sum() == 0:
        raise ImageError(
            "the mask is empty: paint the region to change in white (or any non-black colour) "
            "on a black background, or as opaque pixels on a transparent one."
        )
    return mask


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """A separable Gaussian blur of every channel; replicated borders keep the edges' brightness."""
    if sigma == 0:
        return images
    half = max(1, math.ceil(3 * sigma))
    taps = torch.exp(-(torch.arange(-half, half + 1, dtype=torch.float32) ** 2) / (2 * sigma**2))
    taps = (taps / taps.sum()).to(images)
    channels = images.shape[1]
    padded = F.pad(images, (half, half, half, half), mode="replicate")
    rows = F.conv2d(padded, taps.view(1, 1, 1, -1).expand(channels, 1, 1, -1), groups=channels)
    return F.conv2d(rows, taps.view(1, 1, -1, 1).expand(channels, 1, -1, 1), groups=channels)


def soften_mask(mask: torch.Tensor, radius: int, sigma: float) -> torch.Tensor:
    """Dilate by a disk, blur with a Gaussian, rescale to [0, 1]: a seam-free blending weight."""
    offsets = torch.arange(-radius, radius + 1, device=mask.device)
    yy, xx = torch.meshgrid(offsets, offsets, indexing="ij")
    disk = ((yy**2 + xx**2) <= radius**2).float()[None, None]
    dilated = (F.conv2d(mask, disk, padding=radius) > 0).float()
    blurred = gaussian_blur(dilated, sigma)
    low, high = blurred.min(), blurred.max()
    weight = (blurred - low) / (high - low) if high > low else blurred
    # The blur's float arithmetic leaves ~1e-7 crumbs far from the mask. A weight below
    # 1/1024 cannot move an 8-bit pixel by a quarter level, so it becomes an exact zero:
    # every pixel outside the soft mask's reach stays bit-for-bit the input's.
    return torch.where(weight < NEGLIGIBLE_WEIGHT, 0.0, weight)
