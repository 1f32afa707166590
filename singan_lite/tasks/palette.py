"""A few representative colours of an image (k-means) and snapping pixels to them.

Paint-to-image with quantisation needs both sides to speak the same flat colours:
the training image at that scale, reduced to its main colours, is what the fine-tuned
generator learns from, and a user's painting is snapped to those very colours.
"""

from __future__ import annotations

import torch


def _nearest(pixels: torch.Tensor, palette: torch.Tensor) -> torch.Tensor:
    """Index of the closest palette colour for every row of `pixels` (M, 3)."""
    return torch.cdist(pixels, palette).argmin(dim=1)


def _seed_centres(pixels: torch.Tensor, k: int, rng: torch.Generator) -> torch.Tensor:
    """k-means++: spread the first centres out, so a small colour cluster is not missed."""
    centres = pixels[torch.randint(len(pixels), (1,), generator=rng)]
    for _ in range(1, k):
        gaps = torch.cdist(pixels, centres).amin(dim=1) ** 2
        # An image with fewer than k distinct colours leaves no gap; any pick will do then.
        weights = gaps if gaps.sum() > 0 else torch.ones_like(gaps)
        centres = torch.cat([centres, pixels[torch.multinomial(weights, 1, generator=rng)]])
    return centres


def kmeans_colours(image: torch.Tensor, k: int = 5, seed: int = 0, max_rounds: int = 100) -> torch.Tensor:
    """The k main colours (k, 3) of an (N, 3, H, W) image; the same image and seed give the same palette."""
    if k < 1:
        raise ValueError(f"k must be at least 1 (got {k}).")
    pixels = image.detach().float().cpu().permute(0, 2, 3, 1).reshape(-1, 3)
    if len(pixels) < k:
        raise ValueError(f"an image of {len(pixels)} pixels cannot have {k} colour clusters.")
    centres = _seed_centres(pixels, k, torch.Generator().manual_seed(seed))
    for _ in range(max_rounds):
        labels = _nearest(pixels, centres)
        sums = torch.zeros_like(centres).index_add_(0, labels, pixels)
        counts = torch.bincount(labels, minlength=k).unsqueeze(1)
        # A centre that lost all its pixels stays where it was rather than becoming NaN.
        updated = torch.where(counts > 0, sums / counts.clamp(min=1), centres)
        if torch.equal(updated, centres):
            break
        centres = updated
    return centres.to(image.device)


def map_to_palette(image: torch.Tensor, palette: torch.Tensor) -> torch.Tensor:
    """Replace every pixel of an (N, 3, H, W) image by its nearest palette colour."""
    batch, _, height, width = image.shape
    pixels = image.permute(0, 2, 3, 1).reshape(-1, 3)
    palette = palette.to(image)
    snapped = palette[_nearest(pixels, palette)]
    return snapped.reshape(batch, height, width, 3).permute(0, 3, 1, 2).contiguous()
