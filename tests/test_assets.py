"""The shipped assets: every model loads and samples, every file has its licence line."""

import pytest

from singan_lite import SinGAN, load_image

from .conftest import ASSETS

MODELS = sorted((ASSETS / "models").glob("*.safetensors"))
LISTED = (ASSETS / "README.md").read_text()


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_every_shipped_model_is_listed_loads_and_samples(path):
    assert f"models/{path.name}" in LISTED
    model = SinGAN.load(path)
    assert model.is_complete
    sample = model.sample(1, seed=0)
    assert sample.shape[-2:] == model.sizes[-1]
    assert sample.std() > 0.05  # an image, not a flat field


@pytest.mark.parametrize(
    "path",
    sorted((ASSETS / "images").glob("*.png")) + sorted((ASSETS / "inputs").glob("*.png")),
    ids=lambda p: p.name,
)
def test_every_image_is_readable_and_has_a_licence_line(path):
    assert max(load_image(path).shape[-2:]) <= 250
    assert f"{path.parent.name}/{path.name}" in LISTED


@pytest.mark.parametrize("path", sorted((ASSETS / "large").glob("*.jpg")), ids=lambda p: p.name)
def test_every_large_photograph_is_1024_px_and_has_a_licence_line(path):
    assert tuple(load_image(path).shape[-2:]) == (768, 1024)
    assert f"large/{path.name}" in LISTED


def test_there_are_four_large_photographs():
    # benchmarks/large_training.py scores 1024 px training on four photographs.
    assert len(list((ASSETS / "large").glob("*.jpg"))) == 4


def test_every_sample_image_has_a_model():
    images = {p.stem for p in (ASSETS / "images").glob("*.png")}
    assert images <= {p.stem for p in MODELS}
