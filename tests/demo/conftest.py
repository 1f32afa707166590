"""Fixtures and helpers for the app's tests; the tiny trained model comes from tests/conftest.py."""

import shutil

import numpy as np
import pytest

from demo.models import ModelRegistry


@pytest.fixture()
def registry(tmp_path, tiny_model_path) -> ModelRegistry:
    """A registry whose only shipped model is the tiny one, named after its training image."""
    shutil.copyfile(tiny_model_path, tmp_path / "mountains.safetensors")
    return ModelRegistry(tmp_path, device="cpu")


def stroke_layer(size: tuple[int, int], box: tuple[slice, slice]) -> np.ndarray:
    """An image-editor layer with one opaque red brush stroke over `box`."""
    layer = np.zeros((*size, 4), dtype=np.uint8)
    layer[box] = (255, 0, 0, 255)
    return layer
