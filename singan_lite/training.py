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

from .config import TrainConfig
from .halves import StepHalves, step_halves
from .imaging import ImageSource, load_image, resize
from .model import SinGAN, make_rng
from .networks import Critic, Generator, Window, crop, window_context
from .pyramid import PyramidPlan, build_pyramid, plan_pyramid
from .speed import RECALIBRATION_PASSES, CoarserSamples, SpeedPolicy, recalibrate_batch_norm
from .threads import ThreadSetting, ThreadTuner, thread_runner


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


def gradient_penalty(critic: Critic, real: torch.Tensor, fake: torch.Tensor, mix: torch.Tensor) -> torch.Tensor:
    """WGAN-GP's GP: the critic's gradient norm (per pixel, over channels) at `mix` x real +
    (1 - `mix`) x fake, pulled towards 1; `mix` is drawn uniformly from [0, 1) for each step.
    """
    grad = critic.score_gradient(mix * real + (1 - mix) * fake)
    # The norm spelt out rather than grad.norm(dim=1); the floor keeps sqrt's gradient finite.
    # Why: docs/design.md#the-gradient-penalty-norm
    norm = grad.square().sum(dim=1).clamp_min(1e-12).sqrt()
    return ((norm - 1) ** 2).mean()


@dataclass(frozen=True)
class StepInputs:
    """What an adversarial step feeds G_n: up(x~_{n-1}) of a random coarser sample and the unscaled
    noise z_n, both over the window's context (networks.window_context); the window of the scale's
    image the step trains on (None: the whole image), and the same window within the context.
    """

    previous: torch.Tensor
    noise: torch.Tensor
    window: Window | None
    in_context: Window | None


class ScaleTrainer:
    """Trains G_n and D_n for one scale against the frozen scales below it.

    The recipe is the paper's; `speed` (singan_lite/speed.py) decides how its steps run.
    Subclasses may change what comes from below (`random_previous`, `rec_previous`):
    the paint fine-tune trains on quantised coarser images this way.
    """

    def __init__(self, model: SinGAN, scale: int, real: torch.Tensor, rng: torch.Generator) -> None:
        self.model, self.scale, self.real, self.rng = model, scale, real, rng
        self.config = config = model.config
        self.size = size = tuple(real.shape[-2:])
        device = model.device
        self.fakes = config.fakes_at(scale)
        self.speed = SpeedPolicy.for_scale(config, device, size, self.fakes)
        self.alpha = self.speed.reconstruction_weight(config)
        width = model.width_at(scale)
        self.generator_net = model.new_generator(scale).to(device)
        self.critic_net = Critic(width, config.batch_norm).to(device)
        # A scale as wide as the one below starts from its trained D, and from its trained G
        # where the two generators have the same shape (G_0 may have fewer convolutions).
        if scale > 0 and model.width_at(scale - 1) == width:
            if config.generator_convs_at(scale - 1) == config.generator_convs_at(scale):
                self.generator_net.load_state_dict(model.generators[scale - 1].state_dict())
            if model.critic_state is not None:
                self.critic_net.load_state_dict(model.critic_state)
        # The reconstruction path: {z*, 0, 0, ...} through the frozen scales. sigma_0 = 1; above,
        # sigma_n is `noise_amp` (0.1) x the RMSE of up(rec_{n-1}) against x_n: the detail left to add.
        if scale == 0:
            self.noise_amp = 1.0
            self.rec_previous = torch.zeros_like(real)
            self.rec_noise = model.z_star.expand_as(real)
        else:
            self.rec_previous = resize(model.reconstruct(scale - 1), size)
            rmse = torch.sqrt(F.mse_loss(self.rec_previous, real)).item()
            self.noise_amp = config.noise_amp * rmse
            self.rec_noise = torch.zeros_like(real)
        self.speed.set_training_layout(self.networks)
        self.coarser_samples = CoarserSamples(self._sample_coarser, self.speed.sample_bank)
        self.optG = self.speed.adam(self.generator_net, config.lr, config.betas)
        self.optD = self.speed.adam(self.critic_net, config.lr, config.betas)

    @property
    def networks(self) -> tuple[Generator, Critic]:
        return self.generator_net, self.critic_net

    def restore_layout(self) -> None:
        """The networks back in the layout a saved and loaded model has."""
        self.speed.restore_layout(self.networks)

    def set_learning_rate(self, lr: float) -> None:
        for optimiser in (self.optG, self.optD):
            for group in optimiser.param_groups:
                group["lr"] = lr

    def draw_noise(self) -> torch.Tensor:
        """z_n: unscaled noise for the whole scale (grey at scale 0)."""
        return self.model.draw_noise(self.scale, self.size, 1, self.rng)

    def _sample_coarser(self, num: int, rng: torch.Generator) -> torch.Tensor:
        return resize(self.model.sample(num, rng=rng), self.size)

    def random_previous(self) -> torch.Tensor:
        """up(x~_{n-1}) for a random sample through the frozen scales; zeros at scale 0."""
        if self.scale == 0:
            return torch.zeros_like(self.real)
        return self.coarser_samples.next(self.rng)

    def draw_inputs(self) -> StepInputs:
        """The inputs of one critic step, drawn in this order from `rng`: coarser sample, window, noise."""
        previous = self.random_previous()
        # Real and fake are cropped at the same window, as the paper compares whole images: a
        # sky window against a grass window would push colours about, step to step.
        window = self.speed.random_window(self.rng)
        context, in_context = window_context(window, self.size)
        size = self.size if context is None else context[2:]
        noise = self.model.draw_noise(self.scale, size, self.fakes, self.rng)
        return StepInputs(crop(previous, context), noise, window, in_context)

    def reconstruction_noise(self) -> torch.Tensor:
        """The noise of the reconstruction path: z* at scale 0, zeros above. With `redraw_z_star`,
        a fresh noise map at scale 0 instead, as the reference release does.
        Why: docs/design.md#redrawn-reconstruction-noise-at-scale-0
        """
        return self.draw_noise() if self.scale == 0 and self.config.redraw_z_star else self.rec_noise

    def fake(self, inputs: StepInputs) -> torch.Tensor:
        """x~_n for a critic step's inputs, without a graph: the critic steps do not update G_n."""
        with self.speed.autocast(), torch.no_grad():
            return self.generator_net(self.noise_amp * inputs.noise, inputs.previous, inputs.in_context)

    def critic_step(
        self, inputs: StepInputs, fake: torch.Tensor, halves: StepHalves, next_inputs: StepInputs | None
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor | None]:
        """One Adam step of D_n on WGAN-GP's loss

            L_D = D_n(x~_n) - D_n(x_n) + lambda * GP,  x~_n = G_n(sigma_n z_n, up(x~_{n-1})),

        D_n's score being the mean of its patch map (and over the fakes, where a step at scale 0
        makes `coarsest_batch` of them), lambda = `gp_weight`, x~_n = `fake`.
        The scores and the penalty are the step's two halves (singan_lite/halves.py). The scores'
        half also makes the next critic step's fake from `next_inputs`, work that would otherwise
        run on one thread before the next step's halves (G_n does not change during the critic
        steps). Returns the losses and that next fake (None without `next_inputs`).
        Why: docs/design.md#threads
        """
        real = crop(self.real, inputs.window)
        mix = torch.rand((), generator=self.rng, device=self.rng.device)
        next_fake = []

        def scores() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            with self.speed.autocast():
                d_real = self.critic_net(real).float().mean()
                d_fake = self.critic_net(fake).float().mean()
            if next_inputs is not None:
                next_fake.append(self.fake(next_inputs))
            return d_fake - d_real, {"d_real": d_real.detach(), "d_fake": d_fake.detach()}

        def penalty() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            with self.speed.autocast():
                penalty = gradient_penalty(self.critic_net, real, fake, mix)
            return self.config.gp_weight * penalty, {"gradient_penalty": penalty.detach()}

        losses = halves.step(self.optD, scores, penalty)
        return losses, next_fake[0] if next_fake else None

    def generator_step(
        self, inputs: StepInputs, rec_noise: torch.Tensor, halves: StepHalves
    ) -> dict[str, torch.Tensor]:
        """One Adam step of G_n on the adversarial loss plus alpha times the reconstruction loss

            L_G = -D_n(G_n(sigma_n z_n, up(x~_{n-1}))) + alpha * ||G_n(sigma_n z_rec, up(rec_{n-1})) - x_n||^2,

        with z_rec = `rec_noise`, the squared norm a mean squared error, alpha = `alpha` (or
        `small_window_alpha` on small windows: SpeedPolicy.reconstruction_weight). The
        reconstruction trains on a window of its own. D_n is not updated. The two terms are
        the step's two halves (singan_lite/halves.py).
        """
        rec_window = self.speed.random_window(self.rng)
        rec_context, rec_in_context = window_context(rec_window, self.size)

        def adversarial() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            with self.speed.autocast():
                # Regenerated in every step: reusing one graph across steps breaks on modern PyTorch.
                fake = self.generator_net(self.noise_amp * inputs.noise, inputs.previous, inputs.in_context)
                adversarial = -self.critic_net(fake).float().mean()
            return adversarial, {"g_adversarial": adversarial.detach()}

        def reconstruction() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            with self.speed.autocast():
                rebuilt = self.generator_net(
                    self.noise_amp * crop(rec_noise, rec_context), crop(self.rec_previous, rec_context), rec_in_context
                )
                rec_loss = F.mse_loss(rebuilt, crop(self.real, rec_window))
            return self.alpha * rec_loss, {"reconstruction": rec_loss.detach()}

        return halves.step(self.optG, adversarial, reconstruction)

    def iteration(self) -> dict[str, float]:
        """One iteration: `d_steps` critic steps, then `g_steps` generator steps; the last steps' losses."""
        with step_halves(self.speed.steps_in_halves) as halves:
            self.critic_net.requires_grad_(True)
            critic_inputs = self.draw_inputs()
            fake = self.fake(critic_inputs)
            for step in range(1, self.config.d_steps + 1):
                next_inputs = self.draw_inputs() if step < self.config.d_steps else None
                critic_losses, next_fake = self.critic_step(critic_inputs, fake, halves, next_inputs)
                if next_inputs is not None:
                    critic_inputs, fake = next_inputs, next_fake
            self.critic_net.requires_grad_(False)
            rec_noise = self.reconstruction_noise()
            for _ in range(self.config.g_steps):
                # The last critic step's inputs, not fresh ones, as the reference release does.
                generator_losses = self.generator_step(critic_inputs, rec_noise, halves)
        return {name: value.item() for name, value in {**critic_losses, **generator_losses}.items()}

    def recalibrate_batch_norm(self, passes: int = RECALIBRATION_PASSES) -> None:
        """After training on windows, batch norm's running statistics from whole-scale samples."""
        if not self.speed.trains_on_windows:
            return

        def run_whole_scale() -> None:
            noise = self.draw_noise()  # before the coarser sample: the order `rng` is drawn in
            self.generator_net(self.noise_amp * noise, self.random_previous())

        recalibrate_batch_norm(self.generator_net, run_whole_scale, passes)


def run_iterations(
    trainer: ScaleTrainer, iterations: int, on_event: EventCallback | None, tuner: ThreadTuner | None = None
) -> bool:
    """Train one scale for `iterations`; True if the callback asked to stop.

    The learning rate drops by `lr_decay` once `lr_decay_at` of the iterations are done (the
    paper: x0.1 after 80 %). A finished scale gets the default layout back and, if it trained
    on windows, batch norm statistics from whole scales; a stopped one skips the recalibration.
    """
    config = trainer.config
    decay_at = math.ceil(config.lr_decay_at * iterations)
    stopped = False
    if tuner is not None:
        tuner.new_scale()
    for iteration in range(iterations):
        if iteration == decay_at:
            trainer.set_learning_rate(config.lr * config.lr_decay)
        losses = trainer.iteration() if tuner is None else tuner.run(trainer.iteration)
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
    Why: docs/design.md#z-star-from-its-own-random-family
    """
    noise = np.random.default_rng(seed).standard_normal((1, 1, *size), dtype=np.float32)
    return torch.from_numpy(noise)


def pyramid_for(config: TrainConfig, height: int, width: int) -> PyramidPlan:
    """The pyramid `train` builds for a new model of an image of this size under `config`.

    Super-resolution keeps the configured factor between scales; random generation refits it.
    """
    return plan_pyramid(
        height, width, config.min_size, config.max_size, config.scale_factor, refit=config.sr_factor is None
    )


def _new_model(image: torch.Tensor, config: TrainConfig, device: torch.device) -> SinGAN:
    plan = pyramid_for(config, *image.shape[-2:])
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
    threads: ThreadSetting = None,
) -> SinGAN:
    """Train a SinGAN on one image (or carry on with `resume`, which holds its own image).

    With `checkpoint`, the model is saved after every finished scale, so an interruption
    loses at most the scale in progress and `resume=SinGAN.load(checkpoint)` continues.
    `threads` on a CPU: a number fixes it for this run, "auto" lets a `ThreadTuner` choose
    as the machine's load changes (faster on a busy machine, not reproducible bit for bit),
    None keeps torch's setting.
    """
    device = resolve_device(device)
    if resume is not None:
        model = resume.to(device)
    elif image is not None:
        model = _new_model(load_image(image).to(device), config or TrainConfig(), device)
    else:
        raise ValueError("give an image to train on, or a model to resume.")
    threads_before = torch.get_num_threads()
    tuner = thread_runner(threads if device.type == "cpu" else None)
    try:
        return _train_scales(model, checkpoint, on_event, tuner)
    finally:
        torch.set_num_threads(threads_before)


def _train_scales(
    model: SinGAN, checkpoint: str | Path | None, on_event: EventCallback | None, tuner: ThreadTuner | None
) -> SinGAN:
    config = model.config
    torch.manual_seed(config.seed + model.trained_scales)
    rng = make_rng(config.seed + 1000 + model.trained_scales, model.device)
    reals = build_pyramid(model.real, model.sizes)
    for scale in range(model.trained_scales, model.num_scales):
        started = time.perf_counter()
        trainer = ScaleTrainer(model, scale, reals[scale], rng)
        if run_iterations(trainer, config.iterations_at(scale, model.num_scales), on_event, tuner):
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
