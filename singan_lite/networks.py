"""The per-scale networks: a residual generator and a Markovian (patch) critic.

Both share one body of five valid 3x3 convolutions, so each output pixel of the
critic sees an 11x11 patch: the patch size is what makes one image a data set.
A recipe may give the coarsest generator fewer (TrainConfig.coarsest_convs).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .batch_norm import BatchNorm2d

NUM_CONVS = 5
KERNEL = 3
# Five valid 3x3 convolutions shrink a map by 10 px; the generator pads this back. No network
# has more, so PADDING is the farthest any generator reaches.
PADDING = NUM_CONVS * (KERNEL // 2)


def scale_width(scale: int, base: int = 32, cap: int = 128, double_every: int = 4) -> int:
    """Channels at `scale`: the base width, doubled every few scales, capped."""
    return min(base * 2 ** (scale // double_every), cap)


def _conv_block(in_channels: int, out_channels: int, batch_norm: bool) -> nn.Sequential:
    # nn.BatchNorm2d's results, with a double backward cheap enough for the gradient penalty.
    # Why: docs/design.md#batch-norms-double-backward
    norm = BatchNorm2d(out_channels) if batch_norm else nn.Identity()
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, KERNEL), norm, nn.LeakyReLU(0.2))


def _body(width: int, out_channels: int, batch_norm: bool, convs: int = NUM_CONVS) -> nn.Sequential:
    blocks = [_conv_block(3, width, batch_norm)]
    blocks += [_conv_block(width, width, batch_norm) for _ in range(convs - 2)]
    return nn.Sequential(*blocks, nn.Conv2d(width, out_channels, KERNEL))


def init_weights(module: nn.Module, batch_norm: bool) -> None:
    """The paper's N(0, 0.02) where batch norm restores the scale; He initialisation where nothing does.

    Without normalisation, N(0, 0.02) shrinks the signal about threefold per layer, so
    an untrained body would output almost nothing and learn slowly.
    """
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            if batch_norm:
                nn.init.normal_(layer.weight, 0.0, 0.02)
            else:
                nn.init.kaiming_normal_(layer.weight, a=0.2, nonlinearity="leaky_relu")
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


# (top, left, height, width) of a scale's image: the part of it one step trains on, or one tile.
Window = tuple[int, int, int, int]


def crop(image: torch.Tensor, window: Window | None) -> torch.Tensor:
    """`window` of an image (N, C, H, W); None is the whole image."""
    if window is None:
        return image
    top, left, height, width = window
    return image[..., top : top + height, left : left + width]


def window_context(window: Window | None, size: tuple[int, int]) -> tuple[Window | None, Window | None]:
    """The part of a scale that a generator's output on `window` depends on, and the window within it.

    The context is the window widened by the generators' farthest reach (PADDING) on every side and cut at
    the scale's border, where the generator's own zero padding takes over: a pass on the context
    gives the window exactly the pixels a whole-scale pass would. A step that draws its noise for
    the context alone then costs the window's pixels, not the scale's, which is what lets a large
    image train at a window's cost; the tiles of a large output (memory.py) are cut the same way.
    None (no window): the whole scale.
    """
    if window is None:
        return None, None
    top, left, height, width = window
    first_row, first_col = max(0, top - PADDING), max(0, left - PADDING)
    end_row, end_col = min(size[0], top + height + PADDING), min(size[1], left + width + PADDING)
    context = (first_row, first_col, end_row - first_row, end_col - first_col)
    return context, (top - first_row, left - first_col, height, width)


class Generator(nn.Module):
    """x_n = up(x_{n-1}) + psi_n(sigma_n z_n + up(x_{n-1})): it only learns what the coarser scale missed."""

    def __init__(self, width: int, batch_norm: bool = True, convs: int = NUM_CONVS) -> None:
        super().__init__()
        self.width = width
        # Each valid convolution trims one pixel a side; the zero padding gives them back.
        self.padding = convs * (KERNEL // 2)
        self.pad = nn.ZeroPad2d(self.padding)
        self.body = _body(width, 3, batch_norm, convs)
        init_weights(self, batch_norm)

    def forward(
        self,
        scaled_noise: torch.Tensor,
        previous: torch.Tensor,
        window: tuple[int, int, int, int] | None = None,
    ) -> torch.Tensor:
        """The whole scale, or only `window` = (top, left, height, width) of it.

        A window sees the same padded context as the whole-scale run, so training on
        windows optimises exactly the pixels a full run would produce there. The input may
        be wider than the window by PADDING (window_context): a shallower generator uses
        the part of it that it reaches.
        """
        padded = self.pad(scaled_noise + previous)
        if window is None:
            return previous + torch.tanh(self.body(padded))
        top, left, height, width = window
        reach = self.padding
        context = padded[..., top : top + height + 2 * reach, left : left + width + 2 * reach]
        return previous[..., top : top + height, left : left + width] + torch.tanh(self.body(context))


class Critic(nn.Module):
    """Scores every 11x11 patch; the image's score is the mean over the patch map."""

    def __init__(self, width: int, batch_norm: bool = True) -> None:
        super().__init__()
        self.width = width
        self.batch_norm = batch_norm
        self.body = _body(width, 1, batch_norm)
        init_weights(self, batch_norm)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.body(image)

    def score_gradient(self, image: torch.Tensor) -> torch.Tensor:
        """d sum(D(image)) / d image, as a graph that the critic's weights can be differentiated
        through: what the gradient penalty penalises.

        Without batch norm the first backward is written out as ops of its own: each block's
        transposed convolution after its leaky ReLU's slopes, read off a forward pass without a
        graph. The penalty's gradient is then a first backward through those ops. Autograd's double
        backward would also run the forward pass's convolutions backward on zeros (the slopes do
        not change with the weights) and take each weight's gradient as one large-kernel
        convolution. Batch norm mixes a channel's pixels, so with it the double backward stays
        autograd's (over singan_lite/batch_norm.py). Why: docs/design.md#the-penaltys-first-backward
        """
        if self.batch_norm:
            image = image.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self(image).sum(), image, create_graph=True)
            return grad
        *blocks, last = self.body
        positive = []  # where each block's leaky ReLU has slope 1
        with torch.no_grad():
            hidden = image
            for conv, _, activation in blocks:
                before = conv(hidden)
                positive.append(before > 0)
                hidden = activation(before)
        height, width = hidden.shape[-2:]
        scores_grad = hidden.new_ones(len(hidden), 1, height - KERNEL + 1, width - KERNEL + 1)
        grad = F.conv_transpose2d(scores_grad, last.weight)
        for (conv, _, activation), is_positive in zip(reversed(blocks), reversed(positive), strict=True):
            grad = F.conv_transpose2d(torch.where(is_positive, grad, grad * activation.negative_slope), conv.weight)
        # In the image's dtype, as autograd returns a gradient: under bf16 autocast the norm is then
        # taken in fp32.
        return grad.to(image.dtype)
