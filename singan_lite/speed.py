"""The speed policy: how a scale trains faster than the paper's recipe while learning the same thing.

The trainer (training.py) follows the paper; this module decides, per scale, how its steps run:
- on windows of the scale's image rather than the whole of it, with batch norm's statistics
  recalibrated on whole-scale passes afterwards, and a higher reconstruction weight where a
  window is a small part of its scale;
- from a bank of coarser samples drawn once per scale rather than one fresh sample per step;
- in bf16 autocast and channels-last layout, on CPUs with native bf16 and scales large enough,
  and in channels-last fp32 on CPUs with AVX-512 but no bf16;
- with Adam fused into one kernel per parameter;
- on a CPU, small windows' steps in two halves side by side in two threads (singan_lite/halves.py).
Two more decisions live in the networks themselves. The critic writes out the gradient that the
gradient penalty penalises (Critic.score_gradient), so that the penalty's gradient is a first
backward, not a double one. Why: docs/design.md#the-penaltys-first-backward
With batch norm the double backward stays, and batch norm (singan_lite/batch_norm.py) has a
closed-form one. Why: docs/design.md#batch-norms-double-backward
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

from .config import TrainConfig
from .networks import Window

# The smallest training window, in pixels, that trains in bf16 autocast; smaller ones train in fp32,
# however many fakes a step makes: on one such window bf16 is slower, and on scale 0's several fakes
# it cost texture.
# Why: docs/design.md#bf16-and-channels-last
BF16_MIN_PIXELS = 32 * 32

# Scales whose training windows cover less than this share of them train with the config's
# `small_window_alpha`. Why: docs/design.md#training-at-1024-px
SMALL_WINDOW_SHARE = 1 / 8

# The largest training window, in pixels, whose steps run their two halves side by side: above
# it a step's arithmetic keeps two threads busy by itself, and the halves' unequal sizes leave one
# waiting. Why: docs/design.md#threads
HALVES_MAX_PIXELS = 80 * 80

# Whole-scale passes that set batch norm's running statistics after training on windows.
# Why: docs/design.md#batch-norm-recalibration
RECALIBRATION_PASSES = 16


def native_bf16(device: torch.device) -> bool:
    """Whether bf16 autocast can pay here: only on a CPU with bf16 dot-product instructions
    (AVX512-BF16, AMX-BF16); other CPUs emulate bf16, and GPUs stay in fp32 because per-operation
    overhead, not arithmetic, sets the tiny networks' speed there.
    Why: docs/design.md#bf16-and-channels-last
    """
    if device.type != "cpu":
        return False
    capabilities = _cpu_capabilities()
    return bool(capabilities.get("avx512_bf16") or capabilities.get("amx_bf16"))


def fast_fp32_channels_last(device: torch.device) -> bool:
    """Whether fp32 convolutions train faster in channels-last: on a CPU with AVX-512, whose
    oneDNN kernels gain in that layout forward and backward. With AVX2 alone (AMD Zen 3) the
    weight gradient loses what the forward gains, so fp32 keeps the default layout there.
    Why: docs/design.md#bf16-and-channels-last
    """
    return device.type == "cpu" and bool(_cpu_capabilities().get("avx512_f"))


def _cpu_capabilities() -> dict[str, bool]:
    return getattr(torch.cpu, "get_capabilities", dict)()


def window_size(size: tuple[int, int], crop_size: int | None) -> tuple[int, int]:
    """The size of the windows a scale trains on: its whole image, or at most crop_size x crop_size of it."""
    height, width = size
    return size if crop_size is None else (min(crop_size, height), min(crop_size, width))


@dataclass(frozen=True)
class SpeedPolicy:
    """How one scale trains: the windows, the precision and layout, the optimiser, the coarser samples."""

    size: tuple[int, int]
    device_type: str
    # The side of the square training windows (None: the whole image of the scale).
    crop_size: int | None
    # Coarser samples drawn once per scale and picked from (None: a fresh one per step).
    sample_bank: int | None
    # Forward passes in bf16 autocast.
    bf16: bool
    # Each step's two halves side by side where torch has two threads: on a CPU (a GPU's
    # kernels are queued, not run, by the calling thread), without batch norm, on small windows.
    steps_in_halves: bool
    # Networks in channels-last while they train: under bf16, and in fp32 where that is faster.
    channels_last: bool = False

    @classmethod
    def for_scale(cls, config: TrainConfig, device: torch.device, size: tuple[int, int], fakes: int = 1) -> SpeedPolicy:
        """The policy for a scale of `size` whose steps make `fakes` fakes at once: bf16 only where
        asked for, native, and on windows large enough; halves only on steps small enough, all their
        fakes counted. Channels-last comes with bf16, and where bf16 is asked for but the CPU has
        none, with AVX-512's fp32 kernels: the recipes that ask for bf16 are the speed recipes.
        """
        window_pixels = math.prod(window_size(size, config.crop_size))
        native = native_bf16(device)
        bf16 = config.bf16 and native and window_pixels >= BF16_MIN_PIXELS
        fp32_channels_last = config.bf16 and not native and fast_fp32_channels_last(device)
        return cls(
            size=size,
            device_type=device.type,
            crop_size=config.crop_size,
            sample_bank=config.sample_bank,
            bf16=bf16,
            steps_in_halves=device.type == "cpu"
            and not config.batch_norm
            and window_pixels * fakes <= HALVES_MAX_PIXELS,
            channels_last=bf16 or fp32_channels_last,
        )

    @property
    def trains_on_windows(self) -> bool:
        """Whether a step sees less than the whole scale. Why: docs/design.md#training-on-windows"""
        return window_size(self.size, self.crop_size) != self.size

    @property
    def window_share(self) -> float:
        """The share of the scale's pixels one training window covers (1: the whole scale)."""
        return math.prod(window_size(self.size, self.crop_size)) / math.prod(self.size)

    def reconstruction_weight(self, config: TrainConfig) -> float:
        """alpha for this scale: `small_window_alpha` where a window covers less than
        SMALL_WINDOW_SHARE of the scale, the config's `alpha` elsewhere.
        """
        if config.small_window_alpha is not None and self.window_share < SMALL_WINDOW_SHARE:
            return config.small_window_alpha
        return config.alpha

    def random_window(self, rng: torch.Generator) -> Window | None:
        """A uniformly placed training window, or None when the scale is no larger than the crop."""
        if not self.trains_on_windows:
            return None
        height, width = self.size
        crop_h, crop_w = window_size(self.size, self.crop_size)
        top = int(torch.randint(0, height - crop_h + 1, (), generator=rng, device=rng.device))
        left = int(torch.randint(0, width - crop_w + 1, (), generator=rng, device=rng.device))
        return top, left, crop_h, crop_w

    def autocast(self) -> torch.autocast:
        """The forward passes' precision; the backward passes follow it without being wrapped."""
        return torch.autocast(self.device_type, dtype=torch.bfloat16, enabled=self.bf16)

    def set_training_layout(self, networks: Iterable[nn.Module]) -> None:
        """Channels-last where the policy says so: the layout oneDNN's bf16 convolutions work in, so
        that no convolution copies its input to it, and where AVX-512's fp32 kernels run faster.
        Why: docs/design.md#bf16-and-channels-last
        """
        if self.channels_last:
            for net in networks:
                net.to(memory_format=torch.channels_last)

    @staticmethod
    def restore_layout(networks: Iterable[nn.Module]) -> None:
        """Back to PyTorch's default layout, the one a saved and loaded model has, so a model
        samples exactly the same before and after it is saved.
        """
        for net in networks:
            net.to(memory_format=torch.contiguous_format)

    @staticmethod
    def adam(net: nn.Module, lr: float, betas: tuple[float, float]) -> torch.optim.Adam:
        """Adam in one fused kernel per parameter. Why: docs/design.md#fused-adam"""
        return torch.optim.Adam(net.parameters(), lr=lr, betas=betas, fused=True)


class CoarserSamples:
    """Random samples through the frozen coarser scales, one per call.

    Without a bank each call draws a fresh sample, as the paper does. With one, the first call
    draws `bank_size` samples and every call picks one of them at random: the frozen scales do
    not change while a scale trains, so the bank comes from the same distribution.
    Why: docs/design.md#a-bank-of-coarser-samples
    """

    def __init__(self, draw: Callable[[int, torch.Generator], torch.Tensor], bank_size: int | None) -> None:
        """`draw(num, rng)` returns `num` samples (num, 3, H, W) at the scale being trained."""
        self._draw = draw
        self._bank_size = bank_size
        self._bank: torch.Tensor | None = None

    def next(self, rng: torch.Generator) -> torch.Tensor:
        """One sample (1, 3, H, W)."""
        if self._bank_size is None:
            return self._draw(1, rng)
        if self._bank is None:
            # Drawn at the first call, not before: a trainer that never asks draws nothing from `rng`.
            self._bank = self._draw(self._bank_size, rng)
        pick = int(torch.randint(0, len(self._bank), (), generator=rng, device=rng.device))
        return self._bank[pick : pick + 1]


def recalibrate_batch_norm(generator: nn.Module, run_whole_scale: Callable[[], None], passes: int) -> None:
    """Batch norm's running statistics from `passes` whole-scale runs of `generator`, weighted equally.

    Sampling runs whole scales on the running statistics, which training on windows filled with
    the statistics of windows. Why: docs/design.md#batch-norm-recalibration
    """
    norms = [layer for layer in generator.modules() if isinstance(layer, nn.BatchNorm2d)]
    if not norms:
        return
    momentum = norms[0].momentum
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a cumulative average: every pass weighs the same
    with torch.no_grad():
        for _ in range(passes):
            run_whole_scale()
    for norm in norms:
        norm.momentum = momentum
