"""The per-scale networks: a residual generator and a Markovian (patch) critic.

Both share one body of five valid 3x3 convolutions, so each output pixel of the
critic sees an 11x11 patch: the patch size is what makes one image a data set.
"""

from __future__ import annotations

import torch
from torch import nn

NUM_CONVS = 5
KERNEL = 3
# Five valid 3x3 convolutions shrink a map by 10 px; the generator pads this back.
PADDING = NUM_CONVS * (KERNEL // 2)


def scale_width(scale: int, base: int = 32, cap: int = 128, double_every: int = 4) -> int:
    """Channels at `scale`: the base width, doubled every few scales, capped."""
    return min(base * 2 ** (scale // double_every), cap)


def _conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, KERNEL),
        nn.BatchNorm2d(out_channels),
        nn.LeakyReLU(0.2),
    )


def _body(width: int, out_channels: int) -> nn.Sequential:
    blocks = [_conv_block(3, width)] + [_conv_block(width, width) for _ in range(NUM_CONVS - 2)]
    return nn.Sequential(*blocks, nn.Conv2d(width, out_channels, KERNEL))


def init_weights(module: nn.Module) -> None:
    """The paper's initialisation: convs N(0, 0.02), batch-norm scales N(1, 0.02)."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, 0.0, 0.02)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


class Generator(nn.Module):
    """x_n = up(x_{n-1}) + psi_n(sigma_n z_n + up(x_{n-1})): it only learns what the coarser scale missed."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width
        self.pad = nn.ZeroPad2d(PADDING)
        self.body = _body(width, 3)
        init_weights(self)

    def forward(
        self,
        scaled_noise: torch.Tensor,
        previous: torch.Tensor,
        window: tuple[int, int, int, int] | None = None,
    ) -> torch.Tensor:
        """The whole level, or only `window` = (top, left, height, width) of it.

        A window sees the same padded context as the whole-level run, so training on
        windows optimises exactly the pixels a full run would produce there.
        """
        padded = self.pad(scaled_noise + previous)
        if window is None:
            return previous + torch.tanh(self.body(padded))
        top, left, height, width = window
        context = padded[..., top : top + height + 2 * PADDING, left : left + width + 2 * PADDING]
        return previous[..., top : top + height, left : left + width] + torch.tanh(self.body(context))


class Critic(nn.Module):
    """Scores every 11x11 patch; the image's score is the mean over the patch map."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width
        self.body = _body(width, 1)
        init_weights(self)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.body(image)
