import numpy as np
import pytest
import torch
from PIL import Image

from singan_lite import ImageError, load_image, load_mask, save_image, soften_mask, to_uint8


def _save(tmp_path, name, image: Image.Image, **kwargs):
    path = tmp_path / name
    image.save(path, **kwargs)
    return path


@pytest.fixture()
def colour_array():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)


@pytest.mark.parametrize("suffix", ["png", "jpg", "webp", "bmp", "tiff"])
def test_every_format_loads_as_rgb_in_range(tmp_path, colour_array, suffix):
    path = _save(tmp_path, f"x.{suffix}", Image.fromarray(colour_array))
    image = load_image(path)
    assert image.shape == (1, 3, 30, 40)
    assert image.min() >= -1 and image.max() <= 1


def test_png_round_trip_is_lossless(tmp_path, colour_array):
    path = save_image(load_image(colour_array), tmp_path / "out.png")
    assert np.array_equal(np.asarray(Image.open(path)), colour_array)


def test_grey_is_replicated(tmp_path):
    grey = np.tile(np.arange(40, dtype=np.uint8) * 6, (30, 1))
    image = load_image(_save(tmp_path, "g.png", Image.fromarray(grey, "L")))
    assert image.shape == (1, 3, 30, 40)
    assert torch.equal(image[0, 0], image[0, 2])


def test_rgba_drops_alpha(tmp_path, colour_array):
    rgba = np.dstack([colour_array, np.full((30, 40), 7, np.uint8)])
    image = load_image(_save(tmp_path, "a.png", Image.fromarray(rgba, "RGBA")))
    assert np.array_equal(to_uint8(image), colour_array)


def test_palette_image(tmp_path, colour_array):
    palette = Image.fromarray(colour_array).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    image = load_image(_save(tmp_path, "p.png", palette))
    assert np.array_equal(to_uint8(image), np.asarray(palette.convert("RGB")))


def test_16_bit_grey_uses_its_full_range(tmp_path):
    deep = (np.tile(np.linspace(0, 65535, 40), (30, 1))).astype(np.uint16)
    image = load_image(_save(tmp_path, "d.png", Image.fromarray(deep)))
    assert image.min().item() == pytest.approx(-1, abs=1e-3)
    assert image.max().item() == pytest.approx(1, abs=1e-3)


def test_16_bit_array():
    deep = np.full((20, 20, 3), 65535, np.uint16)
    assert load_image(deep).min().item() == pytest.approx(1)


def test_exif_orientation_is_applied(tmp_path, colour_array):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    path = _save(tmp_path, "r.jpg", Image.fromarray(colour_array), exif=exif.tobytes())
    assert load_image(path).shape == (1, 3, 40, 30)


def test_corrupt_file_is_named(tmp_path):
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    with pytest.raises(ImageError, match="not a readable image"):
        load_image(path)


def test_text_file_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ImageError, match="PNG, JPEG"):
        load_image(path)


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match="does not exist"):
        load_image(tmp_path / "nope.png")


def test_mask_is_resized_and_binary(tmp_path):
    mask = np.zeros((10, 20), np.uint8)
    mask[2:5, 3:9] = 200
    loaded = load_mask(_save(tmp_path, "m.png", Image.fromarray(mask)), (40, 80))
    assert loaded.shape == (1, 1, 40, 80)
    assert set(loaded.unique().tolist()) == {0.0, 1.0}
    assert loaded[0, 0, 12, 20] == 1 and loaded[0, 0, 0, 0] == 0


def test_mask_from_transparency(tmp_path):
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., :3] = 255  # white everywhere: only alpha can tell the region
    rgba[4:6, 4:6, 3] = 255
    loaded = load_mask(_save(tmp_path, "t.png", Image.fromarray(rgba, "RGBA")), (10, 10))
    assert loaded.sum().item() == 4


def test_empty_mask_is_an_error():
    with pytest.raises(ImageError, match="mask is empty"):
        load_mask(np.zeros((10, 10), np.uint8), (10, 10))


def test_soften_mask_dilates_blurs_and_normalises():
    mask = torch.zeros(1, 1, 60, 60)
    mask[..., 28:32, 28:32] = 1
    soft = soften_mask(mask, radius=7, sigma=2)
    assert soft.max() == 1 and soft.min() == 0
    assert soft[0, 0, 30, 30] == 1
    assert soft[0, 0, 30, 40] > 0  # grown beyond the original square
    assert soft[0, 0, 0, 0] == 0  # far away stays untouched
