"""Example inputs shipped in assets/inputs, matched to shipped models by name.

`edit_mountains.png` (with `edit_mountains_mask.png`) belongs to the model
`mountains`, and so on; a tab opens with its example when the model has one, so a
first-time visitor sees a ready-made input instead of an empty editor.
"""

from __future__ import annotations

from pathlib import Path

from .models import ROOT

INPUTS = ROOT / "assets" / "inputs"


def example_input(task: str, model_name: str | None) -> Path | None:
    """The example for a task ("paint", "edit", "harmonize") and model, if one is shipped."""
    path = INPUTS / f"{task}_{model_name}.png"
    return path if model_name and path.is_file() else None


def example_mask(task: str, model_name: str | None) -> Path | None:
    path = INPUTS / f"{task}_{model_name}_mask.png"
    return path if model_name and path.is_file() else None
