"""Outputs of any size in bounded memory: scales generated in tiles, a ceiling on output size,
and out-of-memory errors turned into advice.

A generator's 3x3 convolutions carry 32 to 128 channels, so at a 4096x3072 scale one
activation map alone takes 1.6 GB or more, while its inputs and output (noise, the upsampled
coarser image, the result) have 3 channels. A scale whose activations would not fit the
budget is generated in tiles instead, through the generator's `window`: each tile sees the
same padded context as a whole-scale pass, and in eval mode (how every trained generator
samples) batch norm uses its running statistics, so the tiles give the whole-scale pixels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from .networks import PADDING, Generator, crop, window_context

# The most the generator's activations of one pass may take. A quarter of a gigabyte leaves
# nearly all of a 4 GB machine to the 3-channel maps of a large output and to torch itself,
# while tiles stay hundreds of pixels wide (about 800 at 32 channels, 400 at 128), so the
# PADDING-wide border each tile recomputes is a small part of its work.
ACTIVATION_BUDGET = 256 * 2**20
# Activation maps alive at once in a forward pass without autograd: a block's input, its
# convolution's output and its normalisation's (or activation's) output.
LIVE_ACTIVATIONS = 3
# Below this side the recomputed border would outweigh the tile: a batch too large for the
# budget gets tiles of this side rather than ever smaller ones.
MIN_TILE = 64
# One call's output, all samples together. A 50-megapixel output's 3-channel float maps (the
# noise of every scale, the upsampled coarser scale, the result) take a few GB on their own;
# beyond that a machine of the kind this library targets runs out of memory.
MAX_OUTPUT_PIXELS = 50_000_000


class OutputSizeError(ValueError):
    """An output too large to generate here; the message names a size that fits."""


def tile_side(channels: int, num: int, size: tuple[int, int], bytes_per_value: int = 4) -> int | None:
    """None when a whole scale of `size` fits ACTIVATION_BUDGET, else the side of square tiles that do."""
    per_pixel = LIVE_ACTIVATIONS * channels * num * bytes_per_value
    height, width = size
    if per_pixel * (height + 2 * PADDING) * (width + 2 * PADDING) <= ACTIVATION_BUDGET:
        return None
    return max(MIN_TILE, math.isqrt(ACTIVATION_BUDGET // per_pixel) - 2 * PADDING)


def generate_scale(
    generator: Generator,
    noise_amp: float,
    noise: torch.Tensor,
    previous: torch.Tensor,
    tile: int | None = None,
) -> torch.Tensor:
    """G(noise_amp * noise, previous) over the whole scale, in one pass or in tiles of `tile` px.

    By default the tile follows from the generator's width and ACTIVATION_BUDGET; a scale
    that fits is one pass, exactly as before tiling existed. Tiles are exact for a generator
    in eval mode, as every generator of a model is: in training mode batch norm would take
    each tile's own statistics.
    """
    height, width = previous.shape[-2:]
    tile = tile or tile_side(generator.width, len(previous), (height, width), previous.element_size())
    if tile is None:
        return generator(noise_amp * noise, previous)
    out = torch.empty_like(previous)
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            rows, cols = min(tile, height - top), min(tile, width - left)
            context, in_context = window_context((top, left, rows, cols), (height, width))
            out[..., top : top + rows, left : left + cols] = generator(
                noise_amp * crop(noise, context), crop(previous, context), in_context
            )
    return out


def fit_factor(num: int, size: tuple[int, int], pixels: float = MAX_OUTPUT_PIXELS) -> float:
    """How much both sides of `num` outputs of `size` must shrink to total `pixels` (at most 1)."""
    return min(1.0, math.sqrt(pixels / (num * size[0] * size[1])))


def check_output_size(num: int, size: tuple[int, int], advice: Callable[[], str]) -> None:
    """Refuse, before any work, an output over MAX_OUTPUT_PIXELS; `advice()` names a size that fits."""
    pixels = num * size[0] * size[1]
    if pixels > MAX_OUTPUT_PIXELS:
        what = f"{num} outputs of {size[1]}x{size[0]} px" if num > 1 else f"an output of {size[1]}x{size[0]} px"
        raise OutputSizeError(
            f"{what} is {pixels / 1e6:.1f} megapixels, over the limit of {MAX_OUTPUT_PIXELS / 1e6:.0f} "
            f"megapixels per call (singan_lite.memory.MAX_OUTPUT_PIXELS): {advice()}."
        )


def is_out_of_memory(error: BaseException) -> bool:
    """Whether torch failed to allocate: CUDA's OutOfMemoryError, or the CPU allocator's RuntimeError."""
    if isinstance(error, torch.OutOfMemoryError):
        return True
    message = str(error).lower()
    return isinstance(error, RuntimeError) and ("can't allocate memory" in message or "out of memory" in message)


@contextmanager
def out_of_memory_advice(what: str, advice: Callable[[], str]) -> Iterator[None]:
    """Turn an allocation failure inside the block into an OutputSizeError that says what to try.

    What fits depends on the memory free at the time, which the library cannot know in
    advance, so `advice()` names a size with half the pixels of the one that failed.
    """
    try:
        yield
    except RuntimeError as error:
        if not is_out_of_memory(error):
            raise
        raise OutputSizeError(f"ran out of memory making {what}; half as many pixels may fit: {advice()}.") from error
