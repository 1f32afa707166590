"""The trained pyramid: generation from any scale at any size, image injection, model files.

A model file is one `.safetensors` file: tensors for every trained generator, z*, the
noise amplitudes and the training image, and JSON metadata (format version, pyramid,
training settings). Reading one never unpickles anything, so sharing models is safe.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save
from torch import nn

from .config import TrainConfig
from .imaging import ImageSource, load_image, resize
from .memory import MAX_OUTPUT_PIXELS, check_output_size, fit_factor, generate_scale, out_of_memory_advice
from .networks import Critic, Generator, scale_width
from .pyramid import PyramidPlan

FORMAT_NAME = "singan-lite"
FORMAT_VERSION = 1


# A bound against slips such as 50 for 0.5; the useful range is far below it.
# Why: docs/design.md#variety-at-sampling-time
MAX_VARIETY = 5.0


class ModelFileError(ValueError):
    """A model file that cannot be used; the message says why."""


def make_rng(seed: int | None, device: torch.device | str = "cpu") -> torch.Generator:
    """A random stream for noise: seeded for repeatable pixels, or fresh."""
    rng = torch.Generator(device=device)
    if seed is None:
        rng.seed()
    else:
        rng.manual_seed(seed)
    return rng


def partial_path(path: Path) -> Path:
    """Where `SinGAN.save` writes before renaming: a process ended mid-save leaves only this behind."""
    return path.with_name(path.name + ".partial")


class SinGAN(nn.Module):
    """A pyramid of generators trained on one image (scale 0 is the coarsest).

    A model may hold fewer trained scales than its pyramid has (training stopped or
    still running); it then generates at the finest trained scale.
    """

    def __init__(self, config: TrainConfig, plan: PyramidPlan, real: torch.Tensor, z_star: torch.Tensor) -> None:
        super().__init__()
        self.config = config
        self.plan = plan
        self.generators = nn.ModuleList()
        self.noise_amps: list[float] = []
        self.register_buffer("real", real)
        self.register_buffer("z_star", z_star)
        # The last trained critic, kept only so that an interrupted training can resume.
        self.critic_state: dict[str, torch.Tensor] | None = None

    # ----- structure -------------------------------------------------------------------

    @property
    def sizes(self) -> list[tuple[int, int]]:
        return self.plan.sizes

    @property
    def num_scales(self) -> int:
        """Scales in the pyramid (trained or not)."""
        return self.plan.num_scales

    @property
    def trained_scales(self) -> int:
        return len(self.generators)

    @property
    def is_complete(self) -> bool:
        return self.trained_scales == self.num_scales

    @property
    def device(self) -> torch.device:
        return self.real.device

    def width_at(self, scale: int) -> int:
        return scale_width(scale, self.config.base_width, self.config.max_width, self.config.double_every)

    def new_generator(self, scale: int) -> Generator:
        """An untrained generator of the shape this model's config gives `scale`."""
        config = self.config
        return Generator(self.width_at(scale), config.batch_norm, config.generator_convs_at(scale))

    def add_scale(self, generator: Generator, noise_amp: float, critic: Critic | None = None) -> None:
        """Freeze a newly trained scale and append it to the pyramid."""
        generator.eval().requires_grad_(False)
        self.generators.append(generator)
        self.noise_amps.append(float(noise_amp))
        self.critic_state = None if critic is None else {k: v.detach().clone() for k, v in critic.state_dict().items()}

    def training_image(self, scale: int | None = None) -> torch.Tensor:
        """The real image at a scale of the pyramid (default: the finest)."""
        return self.real if scale is None else resize(self.real, self.sizes[scale])

    # ----- generation ------------------------------------------------------------------

    def _check_scale(self, scale: int, name: str) -> None:
        if not 0 <= scale < self.trained_scales:
            raise ValueError(f"{name} must be between 0 and {self.trained_scales - 1} (got {scale}).")

    def draw_noise(self, scale: int, size: tuple[int, int], num: int, rng: torch.Generator) -> torch.Tensor:
        """Standard normal noise for one scale; grey (one channel replicated) at scale 0."""
        channels = 1 if scale == 0 else 3
        noise = torch.randn((num, channels, *size), generator=rng, device=rng.device)
        return noise.to(self.device).expand(num, 3, *size)

    def stretched_sizes(self, stretch_h: float = 1.0, stretch_v: float = 1.0) -> list[tuple[int, int]]:
        """Scale sizes for an output stretched by stretch_v (height) and stretch_h (width)."""
        if stretch_h <= 0 or stretch_v <= 0:
            raise ValueError("stretch_h and stretch_v must be positive.")
        return [(max(1, round(h * stretch_v)), max(1, round(w * stretch_h))) for h, w in self.sizes]

    @torch.no_grad()
    def synthesise(
        self,
        start_scale: int,
        previous: torch.Tensor | None,
        noise: Sequence[torch.Tensor],
        stop_scale: int | None = None,
        *,
        tile: int | None = None,
    ) -> torch.Tensor:
        """Run G_start .. G_stop: x_n = G_n(sigma_n z_n, up(x_{n-1})).

        `previous` is the image from below the start scale (None at scale 0), `noise`
        holds one unscaled noise map per scale run. Every other way of generating
        (samples, reconstruction, injection, animation, super-resolution) feeds this.
        A scale too large for memory is generated in exact tiles (singan_lite.memory);
        `tile` forces tiles of that side at every scale, the same pixels either way.
        """
        stop_scale = self.trained_scales - 1 if stop_scale is None else stop_scale
        num, _, height, width = noise[stop_scale - start_scale].shape
        check_output_size(num, (height, width), lambda: self._smaller_output(num, (height, width)))
        x = previous
        for offset, scale in enumerate(range(start_scale, stop_scale + 1)):
            z = noise[offset]
            up = torch.zeros_like(z) if x is None else resize(x, tuple(z.shape[-2:]))
            x = generate_scale(self.generators[scale], self.noise_amps[scale], z, up, tile)
        return x

    @staticmethod
    def _smaller_output(num: int, size: tuple[int, int]) -> str:
        """Advice for callers of `synthesise` that choose the output size themselves."""
        factor = fit_factor(num, size)
        return f"ask for at most {math.floor(size[1] * factor)}x{math.floor(size[0] * factor)} px"

    def _smaller_stretch(self, num: int, stretch_h: float, stretch_v: float, pixels: float) -> str:
        """Advice naming the largest stretch, in hundredths, whose `num` samples total at most `pixels`."""
        finest = self.trained_scales - 1
        height, width = self.stretched_sizes(stretch_h, stretch_v)[finest]
        factor = fit_factor(num, (height, width), pixels)
        fit_h, fit_v = math.floor(stretch_h * factor * 100) / 100, math.floor(stretch_v * factor * 100) / 100
        # Sizes are rounded to whole pixels, so the hundredths just below may still be a pixel too many.
        while min(fit_h, fit_v) > 0.01 and num * math.prod(self.stretched_sizes(fit_h, fit_v)[finest]) > pixels:
            fit_h, fit_v = round(fit_h - 0.01, 2), round(fit_v - 0.01, 2)
        advice = f"ask for a stretch of at most {fit_h:g} wide by {fit_v:g} high"
        fewer = int(pixels // (height * width))
        return advice + (f", or {fewer} samples at this size" if 1 <= fewer < num else "")

    def reconstruct(self, scale: int | None = None) -> torch.Tensor:
        """The fixed-noise path {z*, 0, 0, ...}: the model's rendering of its training image."""
        scale = self.trained_scales - 1 if scale is None else scale
        self._check_scale(scale, "scale")
        z0 = self.z_star.expand(1, 3, *self.sizes[0])
        noise = [z0] + [torch.zeros(1, 3, *size, device=self.device) for size in self.sizes[1 : scale + 1]]
        return self.synthesise(0, None, noise, stop_scale=scale)

    def variety(self, variety: float | None = None) -> float:
        """The factor on the start scale's noise: `variety`, checked, or the recipe's own."""
        variety = self.config.variety if variety is None else variety
        if not 0 <= variety <= MAX_VARIETY:
            raise ValueError(f"variety must be between 0 and {MAX_VARIETY} (got {variety}); 1 is the trained noise.")
        return variety

    def sample(
        self,
        num: int = 1,
        start_scale: int = 0,
        stretch_h: float = 1.0,
        stretch_v: float = 1.0,
        seed: int | None = None,
        rng: torch.Generator | None = None,
        variety: float | None = None,
    ) -> torch.Tensor:
        """Random samples (num, 3, H, W): fresh noise from `start_scale` up, reconstruction below.

        Lower start scales change the layout more. Any size from any start scale: the
        reconstruction below the start is simply resized to the stretched scale.
        `variety` multiplies the start scale's noise, the noise that decides the layout:
        above 1 the samples depart further from the training image and look less real.
        Below 1 does not lead back to the training image: from weaker noise than it was
        trained on, a generator makes images of its own. None: the recipe's own
        (`TrainConfig.variety`).
        """
        self._check_scale(start_scale, "start_scale")
        if num < 1:
            raise ValueError("num must be at least 1.")
        variety = self.variety(variety)
        rng = rng or make_rng(seed)
        sizes = self.stretched_sizes(stretch_h, stretch_v)
        height, width = sizes[self.trained_scales - 1]
        check_output_size(
            num, (height, width), lambda: self._smaller_stretch(num, stretch_h, stretch_v, MAX_OUTPUT_PIXELS)
        )
        what = f"{num} samples of {width}x{height} px" if num > 1 else f"a sample of {width}x{height} px"
        half = num * height * width / 2
        with out_of_memory_advice(what, lambda: self._smaller_stretch(num, stretch_h, stretch_v, half)):
            previous = None if start_scale == 0 else self.reconstruct(start_scale - 1).expand(num, -1, -1, -1)
            return self._generate_on_fresh_noise(start_scale, previous, sizes, num, rng, variety)

    def _generate_on_fresh_noise(
        self,
        start_scale: int,
        previous: torch.Tensor | None,
        sizes: Sequence[tuple[int, int]],
        num: int,
        rng: torch.Generator,
        variety: float = 1.0,
    ) -> torch.Tensor:
        """G_start .. G_N on noise from `rng`, the start scale's times `variety`.

        Each scale's noise is drawn just before its generator runs, in the order a whole list
        would be drawn: the same pixels, with one noise map alive at a time instead of every
        scale's, which large outputs would otherwise hold all at once.
        """
        x = previous
        for scale in range(start_scale, self.trained_scales):
            z = self.draw_noise(scale, sizes[scale], num, rng)
            x = self.synthesise(scale, x, [variety * z if scale == start_scale else z], stop_scale=scale)
        return x

    def inject(self, image: ImageSource, scale: int, num: int = 1, seed: int | None = None) -> torch.Tensor:
        """Feed a reference image in at `scale` (>= 1) and let G_scale .. G_N add the details.

        The reference is first resized to the training image, whatever its size or aspect,
        then taken down to scale scale-1, as the paper does for paint, edit and harmonize.
        """
        if scale < 1:
            raise ValueError("the injection scale must be at least 1 (scale 0 has no coarser scale).")
        self._check_scale(scale, "the injection scale")
        reference = resize(load_image(image).to(self.device), tuple(self.real.shape[-2:]))
        previous = resize(reference, self.sizes[scale - 1]).expand(num, -1, -1, -1)
        return self._generate_on_fresh_noise(scale, previous, self.sizes, num, make_rng(seed))

    # ----- files -----------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the model atomically (write, then rename), so a crash never leaves half a file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tensors = {f"generators.{k}": v.contiguous() for k, v in self.generators.state_dict().items()}
        # 8 bits per channel, like the image it came from: a quarter of the float size.
        tensors["real"] = ((self.real.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        tensors["z_star"] = self.z_star.contiguous()
        tensors["noise_amps"] = torch.tensor(self.noise_amps, dtype=torch.float64)
        if self.critic_state is not None and not self.is_complete:
            tensors.update({f"critic.{k}": v.contiguous() for k, v in self.critic_state.items()})
        tensors = {k: v.detach().cpu() for k, v in tensors.items()}
        metadata = {
            "format": FORMAT_NAME,
            "format_version": str(FORMAT_VERSION),
            "config": json.dumps(self.config.to_dict()),
            "sizes": json.dumps(self.sizes),
            "scale_factor": repr(self.plan.scale_factor),
            "trained_scales": str(self.trained_scales),
        }
        partial = partial_path(path)
        # Written by Python rather than safetensors' save_file, which creates files readable
        # by their owner only; this way the umask decides, as for any other output file.
        partial.write_bytes(save(tensors, metadata=metadata))
        os.replace(partial, path)
        return path

    @classmethod
    def load(cls, path: str | Path, device: torch.device | str = "cpu") -> SinGAN:
        """Read and validate a model file; every problem becomes a ModelFileError."""
        path = Path(path)
        if not path.is_file():
            raise ModelFileError(f"'{path}' does not exist.")
        try:
            with safe_open(str(path), framework="pt") as handle:
                metadata = handle.metadata() or {}
            tensors = load_file(str(path))
        except (SafetensorError, OSError, ValueError) as error:
            raise ModelFileError(
                f"'{path}' is not a singan-lite model file (a .safetensors file written by this library): {error}"
            ) from error
        return cls._from_parts(path, metadata, tensors, device)

    @classmethod
    def _from_parts(
        cls, path: Path, metadata: dict[str, str], tensors: dict[str, torch.Tensor], device: torch.device | str
    ) -> SinGAN:
        if metadata.get("format") != FORMAT_NAME:
            raise ModelFileError(f"'{path}' is a safetensors file but not a singan-lite model.")
        version = metadata.get("format_version", "?")
        if version != str(FORMAT_VERSION):
            raise ModelFileError(
                f"'{path}' uses model format version {version}; this singan-lite reads version "
                f"{FORMAT_VERSION}. Upgrade singan-lite, or re-train the model."
            )
        try:
            config = TrainConfig.from_dict(json.loads(metadata["config"]))
            sizes = [tuple(size) for size in json.loads(metadata["sizes"])]
            plan = PyramidPlan(scale_factor=float(metadata["scale_factor"]), sizes=sizes)
            trained = int(metadata["trained_scales"])
            real = tensors.pop("real")
            # Stored as 8-bit pixels; files from before that change hold floats in [-1, 1].
            real = real.float() / 127.5 - 1 if real.dtype == torch.uint8 else real.float()
            model = cls(config, plan, real, tensors.pop("z_star"))
            noise_amps = tensors.pop("noise_amps").tolist()
            if not 1 <= trained <= len(sizes) or len(noise_amps) != trained:
                raise ValueError(f"{trained} trained scales and {len(noise_amps)} noise amplitudes")
            for scale in range(trained):
                model.generators.append(model.new_generator(scale))
            critic = {k.removeprefix("critic."): tensors.pop(k) for k in list(tensors) if k.startswith("critic.")}
            model.generators.load_state_dict({k.removeprefix("generators."): v for k, v in tensors.items()})
        except (KeyError, ValueError, TypeError, RuntimeError) as error:
            raise ModelFileError(f"'{path}' is damaged or incomplete: {error}") from error
        model.noise_amps = [float(a) for a in noise_amps]
        model.critic_state = critic or None
        model.generators.eval().requires_grad_(False)
        return model.to(device)
