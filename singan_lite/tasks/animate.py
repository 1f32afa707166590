"""Animation: a smooth random walk in noise space around one image, played as a seamless loop.

The walk is the paper's second-order one (momentum `beta`, pull back to the anchor
`alpha`), run separately at every scale from the start scale up; below it the
reconstruction stays fixed, so a higher start scale moves only finer detail. The
anchor is z* (the reconstruction) when the output has the training size; any other
size has no reconstruction, so there the walk circles one fixed random sample.

Loop closing: the walk runs `frames + overlap` steps (overlap = frames // 4). Frame 0
is step `frames`, the true successor of the last frame, so the jump from the end
back to the start is one ordinary walk step. Over the first `overlap` frames the
noise then cross-fades from those late steps to the walk's own early steps, with
cosine/sine weights that keep the noise's spread for uncorrelated steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch

from ..imaging import to_uint8
from ..model import SinGAN, make_rng

# Frames rendered per batch: enough to keep the CPU busy, few enough to bound memory.
RENDER_BATCH = 8
ANIMATION_FORMATS = (".gif", ".mp4")


def _walk(anchor: torch.Tensor, alpha: float, beta: float, draw: Callable[[], torch.Tensor]) -> Iterator[torch.Tensor]:
    """Endless noise maps z_1, z_2, ... of the second-order random walk around `anchor`."""
    before, current = anchor, 0.95 * anchor + 0.05 * draw()
    while True:
        step = beta * (current - before) + (1 - beta) * draw()
        before, current = current, alpha * anchor + (1 - alpha) * (current + step)
        yield current


def _looping(walk: Iterator[torch.Tensor], anchor: torch.Tensor, frames: int, overlap: int) -> Iterator[torch.Tensor]:
    """Noise for frames overlap .. frames-1, then 0 .. overlap-1 (see the module docstring)."""
    early = [next(walk) for _ in range(overlap)]
    for _ in range(frames - overlap):
        yield next(walk)
    for index, start in enumerate(early):
        angle = math.pi / 2 * index / overlap
        late = next(walk)
        yield anchor + math.cos(angle) * (late - anchor) + math.sin(angle) * (start - anchor)


def _widened(stream: Iterator[torch.Tensor], anchor: torch.Tensor, factor: float) -> Iterator[torch.Tensor]:
    """The stream's steps away from `anchor`, times `factor`."""
    for noise in stream:
        yield anchor + factor * (noise - anchor)


def _check_settings(model: SinGAN, frames: int, alpha: float, beta: float, start_scale: int) -> None:
    if frames < 1:
        raise ValueError(f"frames must be at least 1 (got {frames}).")
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be between 0 and 1 (got {alpha}).")
    if not 0 <= beta <= 1:
        raise ValueError(f"beta must be between 0 and 1 (got {beta}).")
    if not 0 <= start_scale < model.trained_scales:
        raise ValueError(f"start_scale must be between 0 and {model.trained_scales - 1} (got {start_scale}).")


def animate(
    model: SinGAN,
    frames: int = 100,
    alpha: float = 0.1,
    beta: float = 0.9,
    start_scale: int = 0,
    stretch_h: float = 1.0,
    stretch_v: float = 1.0,
    seed: int | None = None,
    variety: float | None = None,
) -> torch.Tensor:
    """A looping animation (frames, 3, H, W) in [-1, 1]; lower alpha and higher beta roam further.

    `variety` widens (above 1) or narrows the start scale's walk around its anchor, as
    `SinGAN.sample`'s does its noise; None: the recipe's own.
    """
    _check_settings(model, frames, alpha, beta, start_scale)
    variety = model.variety(variety)
    sizes = model.stretched_sizes(stretch_h, stretch_v)
    rng = make_rng(seed)
    overlap = frames // 4
    streams = []
    for scale in range(start_scale, model.trained_scales):
        if scale > 0:
            anchor = torch.zeros(1, 3, *sizes[scale], device=model.device)
        elif sizes[0] == model.sizes[0]:
            anchor = model.z_star.expand(1, 3, *sizes[0])
        else:
            anchor = model.draw_noise(0, sizes[0], 1, rng)

        def draw(scale: int = scale) -> torch.Tensor:
            return model.draw_noise(scale, sizes[scale], 1, rng)

        stream = _looping(_walk(anchor, alpha, beta, draw), anchor, frames, overlap)
        if scale == start_scale and variety != 1:
            stream = _widened(stream, anchor, variety)
        streams.append(stream)
    below = None if start_scale == 0 else model.reconstruct(start_scale - 1)
    rendered = []
    for first in range(0, frames, RENDER_BATCH):
        count = min(RENDER_BATCH, frames - first)
        noise = [torch.cat([next(stream) for _ in range(count)]) for stream in streams]
        previous = None if below is None else below.expand(count, -1, -1, -1)
        rendered.append(model.synthesise(start_scale, previous, noise))
    video = torch.cat(rendered)
    # Rendered in the order overlap .. frames-1, 0 .. overlap-1: rotate into playing order.
    return torch.roll(video, shifts=overlap, dims=0)


def _even_size(video: np.ndarray) -> np.ndarray:
    """H.264 (4:2:0) needs even sides: repeat the last row or column where one is odd."""
    _, height, width, _ = video.shape
    return np.pad(video, ((0, 0), (0, height % 2), (0, width % 2), (0, 0)), mode="edge")


def check_animation_path(path: str | Path) -> Path:
    """Fail before rendering, not after: the suffix must be .gif or .mp4, and MP4 needs imageio-ffmpeg."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ANIMATION_FORMATS:
        raise ValueError(f"cannot write '{path.name}': an animation must be saved as .gif or .mp4.")
    if suffix == ".mp4":
        try:
            import imageio_ffmpeg  # noqa: F401  (only to know whether MP4 can be written)
        except ImportError as error:
            raise ValueError(
                "writing MP4 needs the imageio-ffmpeg package: pip install imageio-ffmpeg (or save a .gif)."
            ) from error
    return path


def save_animation(frames: torch.Tensor, path: str | Path, fps: float = 10) -> Path:
    """Write (F, 3, H, W) frames as a GIF that loops forever, or as an H.264 MP4."""
    path = check_animation_path(path)
    if fps <= 0:
        raise ValueError(f"fps must be positive (got {fps}).")
    video = np.stack([to_uint8(frame) for frame in frames])
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".gif":
        iio.imwrite(path, video, extension=".gif", duration=1000 / fps, loop=0)
    else:
        iio.imwrite(path, _even_size(video), plugin="FFMPEG", fps=fps, codec="libx264", macro_block_size=1)
    return path
