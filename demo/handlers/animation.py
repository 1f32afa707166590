"""The Animation tab: a looping random walk around the training image, as GIF and MP4 files.

The page plays the GIF (a file path, so Gradio does not re-encode it into a still);
the MP4 is smaller and better for sharing, and needs imageio-ffmpeg.
"""

from __future__ import annotations

from pathlib import Path

from singan_lite import SinGAN
from singan_lite.tasks import animate, save_animation

from ..uploads import Notify, ignore

MAX_FRAMES = 200
ALPHA = 0.1


def make_animation(
    model: SinGAN,
    beta: float,
    start_scale: int,
    stretch_h: float,
    stretch_v: float,
    frames: int,
    fps: float,
    seed: int,
    folder: Path,
    notify: Notify = ignore,
    variety: float | None = None,
) -> tuple[Path, list[Path]]:
    """(the GIF to play, the files to download: GIF and, when possible, MP4)."""
    frames = int(frames)
    if frames > MAX_FRAMES:
        raise ValueError(f"at most {MAX_FRAMES} frames (got {frames}).")
    video = animate(
        model, frames, ALPHA, float(beta), int(start_scale), float(stretch_h), float(stretch_v), int(seed), variety
    )
    gif = save_animation(video, Path(folder) / "animation.gif", fps)
    try:
        return gif, [gif, save_animation(video, Path(folder) / "animation.mp4", fps)]
    except ValueError as missing_encoder:
        notify(f"Only the GIF was written: {missing_encoder}")
        return gif, [gif]
