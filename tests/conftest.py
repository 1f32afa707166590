"""Shared fixtures: a tiny trained model, built once per test session.

The environment that keeps gradio and the hub off the network is set in the root conftest.py.
"""

from pathlib import Path

import pytest
import torch

from singan_lite import SinGAN, preset, train

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
SHARED_DATA = ROOT.parent / "shared" / "data"
TINY_IMAGE = ASSETS / "images" / "mountains.png"


def tiny_config(**overrides):
    """A few iterations on a ~40 px pyramid: seconds, yet every code path runs."""
    settings = {"iterations": 6, "max_size": 40, "min_size": 16}
    settings.update(overrides)
    return preset("paper", **settings)


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("models") / "tiny.safetensors"
    train(TINY_IMAGE, tiny_config(), checkpoint=path, device="cpu")
    return path


@pytest.fixture()
def tiny_model(tiny_model_path) -> SinGAN:
    return SinGAN.load(tiny_model_path)
