"""The Super-resolution tab's handler, on a tiny model trained for ×2."""

import numpy as np
import pytest
from PIL import Image

from demo.handlers import superres
from singan_lite import SinGAN
from singan_lite import train as train_singan

from ..conftest import TINY_IMAGE, tiny_config


@pytest.fixture(scope="module")
def sr_model(tmp_path_factory) -> SinGAN:
    path = tmp_path_factory.mktemp("sr") / "sr.safetensors"
    train_singan(TINY_IMAGE, tiny_config(iterations=2).with_super_resolution(2.0), checkpoint=path, device="cpu")
    return SinGAN.load(path)


def test_upscale_doubles_the_image_and_writes_a_png(sr_model, tmp_path):
    (bicubic, sharp), path = superres.upscale(sr_model, None, 0, tmp_path)
    height, width = sr_model.real.shape[-2:]
    assert bicubic.shape == sharp.shape == (2 * height, 2 * width, 3)
    assert np.array_equal(np.asarray(Image.open(path)), sharp)


def test_upscale_scales_a_huge_upload_down_first(sr_model, tmp_path):
    big = tmp_path / "big.png"
    Image.new("RGB", (1200, 600), (90, 120, 200)).save(big)
    notices = []
    # A small cap stands in for the app's (a 1024 px image by ×4), which a tiny model need not run.
    (_, sharp), _ = superres.upscale(sr_model, big, 0, tmp_path, notify=notices.append, max_output_side=1024)
    assert sharp.shape == (512, 1024, 3)
    assert len(notices) == 1 and "scaled down to 512×256" in notices[0]


def test_a_large_result_shows_as_a_preview_and_downloads_at_full_size(sr_model, tmp_path):
    height, width = sr_model.real.shape[-2:]
    (bicubic, sharp), path = superres.upscale(sr_model, None, 0, tmp_path, preview_side=32)
    assert bicubic.shape == sharp.shape == (round(32 * height / width), 32, 3)
    with Image.open(path) as download:
        assert download.format == "PNG" and download.size == (2 * width, 2 * height)


def test_upscale_with_an_ordinary_model_explains_what_to_do(tiny_model, tmp_path):
    with pytest.raises(ValueError, match="not trained for super-resolution"):
        superres.upscale(tiny_model, None, 0, tmp_path)
