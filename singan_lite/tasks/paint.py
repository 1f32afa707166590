"""Paint-to-image: a clip-art painting injected at a coarse scale becomes a photo-like image.

Optionally (the paper's better mode) the painting is snapped to the training image's
5 main colours and the generator it enters at is fine-tuned to turn exactly such flat
colour regions into texture, instead of the smooth images it was trained on.
"""

from __future__ import annotations

import copy

import torch

from ..imaging import ImageSource, load_image, resize
from ..model import SinGAN, make_rng
from ..training import EventCallback, ScaleTrainer, run_iterations
from .injection import injection_scale
from .palette import kmeans_colours, map_to_palette

PALETTE_SIZE = 5
# A short fine-tune, not the paper's full 2000-iteration re-training: G_scale starts from
# its trained weights and only has to adapt them to flat inputs.
FINETUNE_ITERATIONS = 100


def quantize_colours(model: SinGAN, scale: int, k: int = PALETTE_SIZE) -> torch.Tensor:
    """The k main colours (k, 3) of the training image at `scale`, the paint injection scale."""
    return kmeans_colours(model.training_image(scale), k, seed=model.config.seed)


def paint_to_image(
    model: SinGAN,
    painting: ImageSource,
    scale: int | None = None,
    quantize: bool = False,
    seed: int | None = None,
) -> torch.Tensor:
    """Inject a painting (any size; resized to the training image) and return (1, 3, H, W).

    With `quantize`, the painting is first snapped to the training image's main colours:
    use it with a model from `finetune_for_paint`, whose generator expects such input.
    """
    scale = injection_scale(model, "paint", scale)
    image = load_image(painting).to(model.device)
    if quantize:
        image = map_to_palette(image, quantize_colours(model, scale))
    return model.inject(image, scale, seed=seed)


class _FlatColourTrainer(ScaleTrainer):
    """Re-trains G_scale, from its trained weights, to turn flat-colour coarser images into scale `scale`.

    Everything else (losses, crops, optimiser) is the ordinary training step; only what
    comes from below changes: the quantised real image on the reconstruction path, and
    quantised random samples on the adversarial path.
    """

    def __init__(self, model: SinGAN, scale: int, palette: torch.Tensor, rng: torch.Generator) -> None:
        super().__init__(model, scale, model.training_image(scale), rng)
        self.palette = palette
        self.generator_net.load_state_dict(model.generators[scale].state_dict())
        # The finer generators were trained with this amplitude; keep it.
        self.noise_amp = model.noise_amps[scale]
        self.rec_previous = resize(map_to_palette(model.training_image(scale - 1), palette), self.size)

    def random_previous(self) -> torch.Tensor:
        below = range(self.scale)
        noise = [self.model.draw_noise(s, self.model.sizes[s], 1, self.rng) for s in below]
        coarse = self.model.synthesise(0, None, noise, stop_scale=self.scale - 1)
        return resize(map_to_palette(coarse, self.palette), self.size)


def finetune_for_paint(
    model: SinGAN,
    scale: int | None = None,
    iterations: int = FINETUNE_ITERATIONS,
    on_event: EventCallback | None = None,
) -> SinGAN:
    """A copy of `model` whose G_scale turns quantised paintings into texture; `model` is untouched.

    `on_event` gets an IterationEvent per iteration; returning True ends the fine-tune
    early and keeps the generator as far as it got (it started from a trained one).
    """
    scale = injection_scale(model, "paint", scale)
    if iterations < 1:
        raise ValueError(f"iterations must be at least 1 (got {iterations}).")
    tuned = copy.deepcopy(model)
    # A critic kept from training belongs to the last trained scale, not to this one.
    tuned.critic_state = None
    rng = make_rng(model.config.seed + scale, model.device)
    trainer = _FlatColourTrainer(tuned, scale, quantize_colours(model, scale), rng)
    run_iterations(trainer, iterations, on_event)
    tuned.generators[scale] = trainer.generator_net.eval().requires_grad_(False)
    return tuned
