"""Training, one scale at a time from the coarsest; each finished scale is frozen and saved.

The loop reports through one callback with small event objects, so the CLI (a tqdm
bar), the app (progress, plots, galleries) and the notebooks (plotly) share one loop.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .config import TrainConfig
from .imaging import ImageSource, load_image, resize
from .model import SinGAN, make_generator
from .networks import Critic, Generator
from .pyramid import build_pyramid, plan_pyramid


@dataclass(frozen=True)
class IterationEvent:
    """One training iteration finished; losses are plain floats."""

    scale: int
    num_scales: int
    iteration: int
    iterations: int
    losses: dict[str, float]


@dataclass(frozen=True)
class ScaleEvent:
    """One scale finished: what it sees, how it rebuilds it, and what it invents."""

    scale: int
    num_scales: int
    real: torch.Tensor
    reconstruction: torch.Tensor
    sample: torch.Tensor
    noise_amp: float
    seconds: float


TrainingEvent = IterationEvent | ScaleEvent
# Return True to stop: the scale in progress is dropped, the finished ones are kept.
EventCallback = Callable[[TrainingEvent], bool | None]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """'auto' picks CUDA when present; asking for CUDA without it is a clear error."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was requested but no CUDA GPU is available; use --device cpu.")
    return device


def native_bf16(device: torch.device) -> bool:
    """Whether bf16 autocast pays here: only a CPU with bf16 dot-product instructions (AVX512-BF16,
    AMX-BF16) runs it faster than fp32; oneDNN emulates bf16 on other AVX-512 CPUs, several times
    slower. GPUs are left in fp32: the networks are so small that per-operation overhead, not
    arithmetic, sets their speed.
    """
    if device.type != "cpu":
        return False
    capabilities = getattr(torch.cpu, "get_capabilities", dict)()
    return bool(capabilities.get("avx512_bf16") or capabilities.get("amx_bf16"))


# Below about 32x32 px, bf16 autocast costs more than it saves: each step casts the weights
# anew, and the convolutions are too small for the bf16 instructions to pay. On a Xeon with
# AMX-BF16 (2 threads, channels-last), ms per iteration of `fast` in fp32 and bf16: 33 and 41
# at 16x22, even at 21x28 and 27x35, 100 and 76 at 34x45 (benchmarks/RESULTS.md).
BF16_MIN_PIXELS = 32 * 32


# Whole-level passes that set batch norm's running statistics after training on windows.
RECALIBRATION_PASSES = 16


def _window_size(size: tuple[int, int], crop: int | None) -> tuple[int, int]:
    """The size of the windows a scale trains on: the whole level, or at most crop x crop of it."""
    height, width = size
    return size if crop is None else (min(crop, height), min(crop, width))


def gradient_penalty(
    critic: Critic, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """WGAN-GP: the critic's gradient norm (per pixel, over channels) pulled towards 1."""
    mix = torch.rand((), generator=generator, device=generator.device)
    between = (mix * real + (1 - mix) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(between).sum(), between, create_graph=True)
    # The norm spelt out: grad.norm(dim=1) takes PyTorch's slow strided reduction on CPU, 40
    # times slower at 96x96 (1.1 ms against 26 us). The floor keeps sqrt's gradient finite.
    norm = grad.square().sum(dim=1).clamp_min(1e-12).sqrt()
    return ((norm - 1) ** 2).mean()


def _random_window(
    size: tuple[int, int], crop: int | None, generator: torch.Generator
) -> tuple[int, int, int, int] | None:
    """A crop x crop window inside a level, or None when the level is no larger than the crop."""
    height, width = size
    if crop is None or (height <= crop and width <= crop):
        return None
    crop_h, crop_w = _window_size(size, crop)
    top = int(torch.randint(0, height - crop_h + 1, (), generator=generator, device=generator.device))
    left = int(torch.randint(0, width - crop_w + 1, (), generator=generator, device=generator.device))
    return top, left, crop_h, crop_w


def _crop(image: torch.Tensor, window: tuple[int, int, int, int] | None) -> torch.Tensor:
    if window is None:
        return image
    top, left, height, width = window
    return image[..., top : top + height, left : left + width]


class ScaleTrainer:
    """Trains G_n and D_n for one scale against the frozen scales below it.

    Subclasses may change what comes from below (`random_previous`, `rec_previous`):
    the paint fine-tune trains on quantised coarser images this way.
    """

    def __init__(self, model: SinGAN, scale: int, real: torch.Tensor, generator: torch.Generator) -> None:
        self.model, self.scale, self.real, self.rng = model, scale, real, generator
        config = model.config
        self.config = config
        device = model.device
        width = model.width_at(scale)
        self.generator_net = Generator(width, config.batch_norm).to(device)
        self.critic_net = Critic(width, config.batch_norm).to(device)
        if scale > 0 and model.width_at(scale - 1) == width:
            self.generator_net.load_state_dict(model.generators[scale - 1].state_dict())
            if model.critic_state is not None:
                self.critic_net.load_state_dict(model.critic_state)
        size = tuple(real.shape[-2:])
        if scale == 0:
            self.noise_amp = 1.0
            self.rec_previous = torch.zeros_like(real)
            self.rec_noise = model.z_star.expand_as(real)
        else:
            self.rec_previous = resize(model.reconstruct(scale - 1), size)
            rmse = torch.sqrt(F.mse_loss(self.rec_previous, real)).item()
            self.noise_amp = config.noise_amp * rmse
            self.rec_noise = torch.zeros_like(real)
        self.size = size
        large_enough = math.prod(_window_size(size, config.crop_size)) >= BF16_MIN_PIXELS
        self.bf16 = config.bf16 and native_bf16(device) and large_enough
        if self.bf16:
            # oneDNN's bf16 convolutions work in channels-last; given NCHW activations, each
            # one copies its input to channels-last, forward and backward: a third of a step's
            # time at 96x96 on a Xeon (benchmarks/RESULTS.md).
            self._set_layout(torch.channels_last)
        self.bank: torch.Tensor | None = None
        self.optG = self._adam(self.generator_net)
        self.optD = self._adam(self.critic_net)

    def _set_layout(self, memory_format: torch.memory_format) -> None:
        for net in (self.generator_net, self.critic_net):
            net.to(memory_format=memory_format)

    def restore_layout(self) -> None:
        """Back to PyTorch's default layout, the one a saved and loaded model has, so a model
        samples exactly the same before and after it is saved.
        """
        self._set_layout(torch.contiguous_format)

    def _adam(self, net: nn.Module) -> torch.optim.Adam:
        """Adam in one fused kernel per parameter instead of about ten small operations. On a CPU a
        step of a width-32 critic takes 0.17 to 0.19 ms against 0.56 to 0.83 ms: with six steps an
        iteration, 2 to 4 ms of the 40 to 55 ms an iteration takes at the coarsest scale.
        """
        return torch.optim.Adam(net.parameters(), lr=self.config.lr, betas=self.config.betas, fused=True)

    def set_learning_rate(self, lr: float) -> None:
        for optimiser in (self.optG, self.optD):
            for group in optimiser.param_groups:
                group["lr"] = lr

    def random_previous(self) -> torch.Tensor:
        """up(x_{n-1}) for a random sample through the frozen scales.

        The paper draws a fresh one every step. The frozen scales never change while
        this scale trains, so a bank drawn once (`config.sample_bank`) comes from the
        same distribution at a fraction of the cost.
        """
        if self.scale == 0:
            return torch.zeros_like(self.real)
        if self.config.sample_bank is None:
            return resize(self.model.sample(generator=self.rng), self.size)
        if self.bank is None:
            self.bank = resize(self.model.sample(self.config.sample_bank, generator=self.rng), self.size)
        pick = int(torch.randint(0, len(self.bank), (), generator=self.rng, device=self.rng.device))
        return self.bank[pick : pick + 1]

    def _autocast(self) -> torch.autocast:
        """The forward passes' precision; the backward passes follow it without being wrapped."""
        return torch.autocast(self.real.device.type, dtype=torch.bfloat16, enabled=self.bf16)

    def _noise(self) -> torch.Tensor:
        return self.model.draw_noise(self.scale, self.size, 1, self.rng)

    def recalibrate_batch_norm(self, passes: int = RECALIBRATION_PASSES) -> None:
        """Batch norm's running statistics from whole-level passes, for a generator trained on windows.

        Sampling runs the generator on whole levels with the running statistics, which training
        on windows filled with the statistics of windows. Recomputed from random whole-level
        passes, with equal weights, the samples came out sharper and SIFID fell from 5.69 to
        4.75 on four benchmark images (benchmarks/RESULTS.md).
        """
        norms = [layer for layer in self.generator_net.modules() if isinstance(layer, nn.BatchNorm2d)]
        if not norms or _window_size(self.size, self.config.crop_size) == self.size:
            return
        momentum = norms[0].momentum
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None  # a cumulative average: every pass weighs the same
        with torch.no_grad():
            for _ in range(passes):
                self.generator_net(self.noise_amp * self._noise(), self.random_previous())
        for norm in norms:
            norm.momentum = momentum

    def iteration(self) -> dict[str, float]:
        """One iteration: `d_steps` critic updates, then `g_steps` generator updates."""
        config, generator_net, critic_net, amp = self.config, self.generator_net, self.critic_net, self.noise_amp
        critic_net.requires_grad_(True)
        for _ in range(config.d_steps):
            previous, noise = self.random_previous(), self._noise()
            # Real and fake windows at the same place, as the paper compares whole images: a
            # sky window against a grass window would push colours about, step to step.
            window = _random_window(self.size, config.crop_size, self.rng)
            real = _crop(self.real, window)
            with self._autocast():
                with torch.no_grad():
                    fake = generator_net(amp * noise, previous, window)
                d_real = critic_net(real).float().mean()
                d_fake = critic_net(fake).float().mean()
                penalty = gradient_penalty(critic_net, real, fake, self.rng)
                loss_d = d_fake - d_real + config.gp_weight * penalty
            self.optD.zero_grad(set_to_none=True)
            loss_d.backward()
            self.optD.step()
        critic_net.requires_grad_(False)
        rec_noise = self._noise() if self.scale == 0 and config.redraw_z_star else self.rec_noise
        for _ in range(config.g_steps):
            # Regenerated in every G step: reusing one graph across steps breaks on modern PyTorch.
            rec_window = _random_window(self.size, config.crop_size, self.rng)
            with self._autocast():
                fake = generator_net(amp * noise, previous, window)
                adversarial = -critic_net(fake).float().mean()
                reconstruction = generator_net(rec_noise * amp, self.rec_previous, rec_window)
                rec_loss = F.mse_loss(reconstruction, _crop(self.real, rec_window))
                loss_g = adversarial + config.alpha * rec_loss
            self.optG.zero_grad(set_to_none=True)
            loss_g.backward()
            self.optG.step()
        return {
            "d_real": d_real.item(),
            "d_fake": d_fake.item(),
            "gradient_penalty": penalty.item(),
            "g_adversarial": adversarial.item(),
            "reconstruction": rec_loss.item(),
        }


def run_iterations(trainer: ScaleTrainer, iterations: int, on_event: EventCallback | None) -> bool:
    """Train one scale for `iterations`, with the x0.1 step at 80 %; True if the callback asked to stop."""
    config = trainer.config
    decay_at = math.ceil(config.lr_decay_at * iterations)
    stopped = False
    for iteration in range(iterations):
        if iteration == decay_at:
            trainer.set_learning_rate(config.lr * config.lr_decay)
        losses = trainer.iteration()
        event = IterationEvent(trainer.scale, trainer.model.num_scales, iteration + 1, iterations, losses)
        if on_event is not None and on_event(event):
            stopped = True
            break
    trainer.restore_layout()
    if not stopped:
        trainer.recalibrate_batch_norm()
    return stopped


def _draw_z_star(size: tuple[int, int], seed: int) -> torch.Tensor:
    """z* from numpy's PCG64, a generator family that no sampling seed's torch stream shares.

    Drawn from torch's stream for `seed`, z* would be the first noise map of
    `sample(seed=seed)`: the first "new" sample would be the training image again.
    """
    noise = np.random.default_rng(seed).standard_normal((1, 1, *size), dtype=np.float32)
    return torch.from_numpy(noise)


def _new_model(image: torch.Tensor, config: TrainConfig, device: torch.device) -> SinGAN:
    height, width = image.shape[-2:]
    plan = plan_pyramid(
        height, width, config.min_size, config.max_size, config.scale_factor, refit=config.sr_factor is None
    )
    real = resize(image, plan.sizes[-1])
    z_star = _draw_z_star(plan.sizes[0], config.seed)
    return SinGAN(config, plan, real, z_star).to(device)


def train(
    image: ImageSource | None = None,
    config: TrainConfig | None = None,
    *,
    resume: SinGAN | None = None,
    checkpoint: str | Path | None = None,
    on_event: EventCallback | None = None,
    device: str | torch.device = "auto",
) -> SinGAN:
    """Train a SinGAN on one image (or carry on with `resume`, which holds its own image).

    With `checkpoint`, the model is saved after every finished scale, so an interruption
    loses at most the scale in progress and `resume=SinGAN.load(checkpoint)` continues.
    """
    device = resolve_device(device)
    if resume is not None:
        model = resume.to(device)
    elif image is not None:
        model = _new_model(load_image(image).to(device), config or TrainConfig(), device)
    else:
        raise ValueError("give an image to train on, or a model to resume.")
    config = model.config
    torch.manual_seed(config.seed + model.trained_scales)
    rng = make_generator(config.seed + 1000 + model.trained_scales, device)
    reals = build_pyramid(model.real, model.sizes)
    for scale in range(model.trained_scales, model.num_scales):
        started = time.perf_counter()
        trainer = ScaleTrainer(model, scale, reals[scale], rng)
        if run_iterations(trainer, config.iterations_at(scale, model.num_scales), on_event):
            return model
        model.add_scale(trainer.generator_net, trainer.noise_amp, trainer.critic_net)
        if checkpoint is not None:
            model.save(checkpoint)
        if on_event is not None:
            finished = ScaleEvent(
                scale=scale,
                num_scales=model.num_scales,
                real=reals[scale].cpu(),
                reconstruction=model.reconstruct(scale).cpu(),
                sample=model.sample(seed=config.seed).cpu(),
                noise_amp=trainer.noise_amp,
                seconds=time.perf_counter() - started,
            )
            if on_event(finished):
                return model
    return model
