"""Training settings and the named presets.

`paper` is the published recipe, number for number. `fast` is this project's CPU
recipe; `quality` trains longer on whole scales, and its samples rearrange the scene.
Why: docs/design.md#presets
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from .networks import NUM_CONVS


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides what a training run does; stored inside every model file."""

    preset: str = "paper"
    # Pyramid: the coarsest short side, the finest long side, the initial factor between scales.
    min_size: int = 25
    max_size: int = 250
    scale_factor: float = 0.75
    # Networks: width at scale 0, doubled every `double_every` scales, capped at `max_width`;
    # batch norm after each hidden convolution (the paper) or none.
    base_width: int = 32
    max_width: int = 128
    double_every: int = 4
    batch_norm: bool = True
    # Optimisation, per scale.
    iterations: int = 2000
    d_steps: int = 3
    g_steps: int = 3
    lr: float = 5e-4
    betas: tuple[float, float] = (0.5, 0.999)
    lr_decay_at: float = 0.8
    lr_decay: float = 0.1
    # Losses and noise.
    gp_weight: float = 0.1
    alpha: float = 10.0
    noise_amp: float = 0.1
    # Draw a new reconstruction noise at every iteration of scale 0 instead of keeping z*.
    # The paper keeps z* fixed; its reference release redraws it, and so asks G_0 to rebuild
    # the image from any noise map, which keeps samples close to the image's own layout.
    # Why: docs/design.md#redrawn-reconstruction-noise-at-scale-0
    redraw_z_star: bool = False
    # Speed: steps on random crop_size x crop_size windows of a scale (None: the whole scale).
    # Why: docs/design.md#training-on-windows
    crop_size: int | None = None
    # The reconstruction weight on scales whose windows cover less than an eighth of the scale
    # (speed.SMALL_WINDOW_SHARE); None: `alpha` there too. A window that small steers the
    # generator's colour balance by its own colours, step after step, more than alpha 10 holds.
    # Why: docs/design.md#training-at-1024-px
    small_window_alpha: float | None = None
    # Speed: draw this many coarser samples once per scale instead of one per step (None: paper).
    # Why: docs/design.md#a-bank-of-coarser-samples
    sample_bank: int | None = None
    # Fewer iterations on the fine scales: the last scale trains `iterations * fine_iterations`.
    fine_iterations: float = 1.0
    # More on the coarse scales, which invent the layout and are the cheapest to train:
    # scale 0 trains `iterations * coarsest_iterations`, and the extra factor shrinks
    # geometrically to 1 at scale `coarse_scales` (1: scale 0 alone).
    # Why: docs/design.md#more-iterations-at-the-coarse-scales
    coarsest_iterations: float = 1.0
    coarse_scales: int = 1
    # Noise maps, and so fakes, per adversarial step at scale 0 (the paper: one). A step there is
    # mostly per-operation overhead, so several fakes cost far less than as many steps, and each
    # step's gradient spans several samples: fewer iterations then do.
    coarsest_batch: int = 1
    # Convolutions in G_0, the coarsest generator (the paper: 5, like every other network).
    # Fewer shrink its window (3: 7 px instead of 11), so less of the coarsest scale sees the
    # zero padding that tells a pixel where it is, and samples lay the scene out anew.
    # Why: docs/design.md#a-shallower-coarsest-generator
    coarsest_convs: int = NUM_CONVS
    # Speed: run the networks in bfloat16 (autocast) on CPUs with native bf16 instructions,
    # on scales large enough to gain from it; fp32 elsewhere, where bf16 would be emulated,
    # in channels-last where the CPU has AVX-512 (singan_lite/speed.py chooses at run time).
    # Why: docs/design.md#bf16-and-channels-last
    bf16: bool = False
    # Sampling: what `SinGAN.sample` multiplies the start scale's noise by unless told otherwise
    # (1: the noise the model was trained with). Why: docs/design.md#variety-at-sampling-time
    variety: float = 1.0
    # Super-resolution: train for upsampling by this factor (None: random generation).
    sr_factor: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        # The generator steps reuse the last critic step's inputs, so both kinds of step must run;
        # a step makes at least one fake.
        for name in ("d_steps", "g_steps", "coarsest_batch"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1 (got {getattr(self, name)}).")
        # The first and last convolutions are always there; no generator reaches farther than
        # the critic's patch, which the pyramid's smallest scale and the windows are built for.
        if not 2 <= self.coarsest_convs <= NUM_CONVS:
            raise ValueError(f"coarsest_convs must be from 2 to {NUM_CONVS} (got {self.coarsest_convs}).")

    def iterations_at(self, scale: int, num_scales: int) -> int:
        """Iterations for one scale: linear from `iterations` at scale 0 to the fine-scale share,
        times the coarse scales' extra factor.
        """
        share = 1 + (self.fine_iterations - 1) * scale / max(1, num_scales - 1)
        coarse_boost = self.coarsest_iterations ** max(0.0, 1 - scale / max(1, self.coarse_scales))
        return max(1, round(self.iterations * share * coarse_boost))

    def generator_convs_at(self, scale: int) -> int:
        """Convolutions in the generator of `scale`."""
        return self.coarsest_convs if scale == 0 else NUM_CONVS

    def fakes_at(self, scale: int) -> int:
        """Noise maps, and so fakes, per adversarial step at `scale`."""
        return self.coarsest_batch if scale == 0 else 1

    def total_iterations(self, num_scales: int, first_scale: int = 0) -> int:
        """Iterations of all scales from `first_scale` up: what a run (or a resumed one) has ahead."""
        return sum(self.iterations_at(scale, num_scales) for scale in range(first_scale, num_scales))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown training settings: {sorted(unknown)}")
        if "betas" in values:
            values = {**values, "betas": tuple(values["betas"])}
        return cls(**values)

    def with_super_resolution(self, factor: float) -> TrainConfig:
        """The paper's SR recipe: k = round(log s / log 2^(1/3)) steps of r = s^(1/k), alpha 100.

        z* stays fixed, as in the reference release's SR training: super-resolution needs
        the faithful reconstruction, not varied samples.
        """
        if factor < 1.5:
            raise ValueError(f"the super-resolution factor must be at least 1.5 (got {factor}).")
        steps = max(1, round(math.log(factor) / math.log(2 ** (1 / 3))))
        return dataclasses.replace(
            self,
            sr_factor=factor,
            scale_factor=factor ** (-1 / steps),
            alpha=100.0,
            min_size=18,
            redraw_z_star=False,
        )

    @property
    def sr_steps(self) -> int:
        if self.sr_factor is None:
            raise ValueError("this model was not trained for super-resolution.")
        return round(math.log(self.sr_factor) / math.log(1 / self.scale_factor))


_FAST = TrainConfig(
    preset="fast",
    # A 16 px coarsest scale instead of 25: G_0's 11 px window then spans most of it, so
    # the zero padding tells nearly every pixel where it is and G_0 can lay out the scene
    # as the image does; at 25 px the middle rows see only noise.
    # Why: docs/design.md#a-16-px-coarsest-scale
    min_size=16,
    iterations=260,
    fine_iterations=0.6,
    # Scale 0: 832 iterations of four fakes a step (`quality`: 2080 of one), in less time, and
    # the samples vary more at about the same texture.
    # Why: docs/design.md#more-iterations-at-the-coarse-scales
    coarsest_iterations=3.2,
    coarsest_batch=4,
    max_width=32,
    batch_norm=False,
    crop_size=96,
    small_window_alpha=100.0,
    sample_bank=16,
    redraw_z_star=True,
    bf16=True,
)

PRESETS: dict[str, TrainConfig] = {
    "paper": TrainConfig(),
    "fast": _FAST,
    # A recipe whose samples rearrange the scene: a 20 px coarsest scale with the paper's fixed z*
    # and a G_0 of four convolutions leave G_0 free to lay out new scenes; scales 0 to 2 (which
    # invent a new layout and its objects) train longer, which wins back the texture the shallower
    # G_0 costs; the scales above train on the whole image up to 256 px, where windows would cost
    # the texture of a new layout. Above scale 2, twice fast's iterations.
    # Why: docs/design.md#quality-a-recipe-that-rearranges-the-scene
    "quality": dataclasses.replace(
        _FAST,
        preset="quality",
        min_size=20,
        redraw_z_star=False,
        coarsest_convs=4,
        iterations=2 * _FAST.iterations,
        coarsest_iterations=6.0,
        coarsest_batch=1,
        coarse_scales=3,
        crop_size=256,
    ),
}


def preset(name: str, **overrides: object) -> TrainConfig:
    """A named preset with some settings changed, e.g. preset("paper", iterations=100)."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset '{name}'; choose one of {sorted(PRESETS)}.")
    return dataclasses.replace(PRESETS[name], **overrides)


def preset_values(setting: str) -> str:
    """Each preset's value of one setting in words, e.g. "quality 4, paper and fast 5".

    Help texts that name the presets' defaults take them from here, so that changing a
    preset cannot leave the CLI or the app describing the old recipe.
    """
    names_by_value: dict[object, list[str]] = {}
    for name, config in PRESETS.items():
        names_by_value.setdefault(getattr(config, setting), []).append(name)
    return ", ".join(f"{' and '.join(names)} {value}" for value, names in sorted(names_by_value.items()))


def preset_with_options(name: str, **options: object) -> TrainConfig:
    """A preset with the options a user gave; None means "not given" and keeps the preset's value."""
    return preset(name, **{setting: value for setting, value in options.items() if value is not None})
