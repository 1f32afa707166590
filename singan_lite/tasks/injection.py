"""Which scale a reference image enters the pyramid at, shared by paint, edit and harmonize.

Injecting at scale n keeps the reference's layout from the scales below n and lets
G_n .. G_N redraw everything finer, so the scale decides how much of the input
survives. A flat-colour painting only means its layout, so it goes in low (about a
quarter of the way up), where the generators still invent all texture. A composite
already has the right layout, so it goes in at mid scales: an edit keeps its colours
and only needs its seams redrawn (a little finer); a harmonized object's own colours
and texture are what must change, so it goes in a little coarser. The fractions were
chosen by eye on the example inputs in assets/inputs.
"""

from __future__ import annotations

from ..model import SinGAN

# Fraction of the way from the coarsest (0) to the finest trained scale, per task.
# With 10 scales (0 .. 9): paint at 2, harmonize at 4, edit at 5.
_DEFAULT_DEPTH = {"paint": 0.25, "harmonize": 0.45, "edit": 0.55}


def _finest_injectable(model: SinGAN) -> int:
    finest = model.trained_scales - 1
    if finest < 1:
        raise ValueError(
            "the model has only one trained scale; injecting an image needs at least two (finish training it first)."
        )
    return finest


def default_injection_scale(model: SinGAN, task: str) -> int:
    """The scale a task injects at unless told otherwise (see the module docstring for why)."""
    if task not in _DEFAULT_DEPTH:
        raise ValueError(f"unknown task '{task}'; choose one of {sorted(_DEFAULT_DEPTH)}.")
    finest = _finest_injectable(model)
    return max(1, round(_DEFAULT_DEPTH[task] * finest))


def injection_scale(model: SinGAN, task: str, scale: int | None) -> int:
    """The user's scale, checked against the model, or the task's default when None."""
    if scale is None:
        return default_injection_scale(model, task)
    finest = _finest_injectable(model)
    if not 1 <= scale <= finest:
        raise ValueError(
            f"the injection scale must be between 1 and {finest} for this model (got {scale}); "
            "scale 0 has no coarser scale to inject into."
        )
    return scale
