import math
import re

import numpy as np
import pytest
import torch
from PIL import Image

from singan_lite import SinGAN, to_uint8
from singan_lite.cli import main
from singan_lite.memory import (
    ACTIVATION_BUDGET,
    LIVE_ACTIVATIONS,
    MAX_OUTPUT_PIXELS,
    OutputSizeError,
    is_out_of_memory,
    out_of_memory_advice,
    tile_side,
)
from singan_lite.model import make_rng
from singan_lite.networks import PADDING


def impossible_allocation() -> RuntimeError:
    """A real allocation failure from torch: a petabyte, more than any address space holds."""
    try:
        torch.empty(2**50, dtype=torch.uint8)
    except RuntimeError as error:
        return error
    raise AssertionError("allocating a petabyte succeeded")


# ----- tiles ---------------------------------------------------------------------------


@pytest.mark.parametrize("tile", [3, 7, 16])
def test_tiled_scales_give_the_whole_scale_pixels(tiny_model, tile):
    # Tiles smaller than the padding, tiles that do not divide the scale, a stretched output.
    sizes = tiny_model.stretched_sizes(1.5, 0.8)
    rng = make_rng(0)
    noise = [tiny_model.draw_noise(s, sizes[s], 2, rng) for s in range(tiny_model.trained_scales)]
    whole = tiny_model.synthesise(0, None, noise)
    tiled = tiny_model.synthesise(0, None, noise, tile=tile)
    assert tiled.shape == whole.shape == (2, 3, *sizes[-1])
    assert torch.allclose(tiled, whole, rtol=0, atol=1e-5)


def test_a_tiled_start_above_scale_0_gives_the_whole_scale_pixels(tiny_model):
    start = 2
    previous = tiny_model.reconstruct(start - 1)
    rng = make_rng(1)
    noise = [tiny_model.draw_noise(s, tiny_model.sizes[s], 1, rng) for s in range(start, tiny_model.trained_scales)]
    whole = tiny_model.synthesise(start, previous, noise)
    assert torch.allclose(tiny_model.synthesise(start, previous, noise, tile=5), whole, rtol=0, atol=1e-5)


def test_a_sample_draws_each_scales_noise_in_the_order_of_the_whole_list(tiny_model):
    """`sample` draws a scale's noise just before its generator; the pixels are those of all noise drawn first."""
    start, variety = 1, 1.5
    sizes = tiny_model.stretched_sizes(1.25, 0.9)
    rng = make_rng(5)
    noise = [tiny_model.draw_noise(s, sizes[s], 2, rng) for s in range(start, tiny_model.trained_scales)]
    noise[0] = variety * noise[0]
    previous = tiny_model.reconstruct(start - 1).expand(2, -1, -1, -1)
    whole = tiny_model.synthesise(start, previous, noise)
    sample = tiny_model.sample(2, start_scale=start, stretch_h=1.25, stretch_v=0.9, seed=5, variety=variety)
    assert torch.equal(sample, whole)


def test_small_scales_run_whole_and_large_ones_in_tiles_within_the_budget():
    assert tile_side(32, 1, (188, 250)) is None
    assert tile_side(32, 8, (188, 250)) is None
    for channels, num in ((32, 1), (128, 1), (32, 4)):
        side = tile_side(channels, num, (3072, 4096))
        assert side is not None and side > 100
        assert LIVE_ACTIVATIONS * channels * num * 4 * (side + 2 * PADDING) ** 2 <= ACTIVATION_BUDGET
    # Wider networks and larger batches get smaller tiles.
    assert tile_side(128, 1, (3072, 4096)) < tile_side(32, 1, (3072, 4096))


# ----- output limit ------------------------------------------------------------------


def suggested_stretch(message: str) -> tuple[float, float]:
    match = re.search(r"a stretch of at most ([\d.]+) wide by ([\d.]+) high", message)
    assert match, message
    return float(match[1]), float(match[2])


@pytest.mark.parametrize("num", [1, 3])
def test_an_output_over_the_limit_is_refused_before_any_work_with_a_stretch_that_fits(tiny_model, num):
    rng = make_rng(0)
    state = rng.get_state()
    with pytest.raises(OutputSizeError, match="over the limit of 50 megapixels") as caught:
        tiny_model.sample(num, stretch_h=300, stretch_v=200, rng=rng)
    # No noise was drawn: the refusal came before any work.
    assert torch.equal(rng.get_state(), state)
    stretch_h, stretch_v = suggested_stretch(str(caught.value))
    assert stretch_h < 300 and stretch_v < 200
    height, width = tiny_model.stretched_sizes(stretch_h, stretch_v)[-1]
    assert num * height * width <= MAX_OUTPUT_PIXELS
    # Not needlessly small: within a percent of the limit.
    assert num * height * width > 0.99 * MAX_OUTPUT_PIXELS


def test_several_samples_over_the_limit_get_a_number_that_fits(tiny_model):
    finest = tiny_model.sizes[-1]
    stretch = math.sqrt(MAX_OUTPUT_PIXELS / (3.5 * finest[0] * finest[1]))
    with pytest.raises(OutputSizeError, match="or 3 samples at this size"):
        tiny_model.sample(5, stretch_h=stretch, stretch_v=stretch, seed=0)


def test_the_command_line_says_what_fits_in_one_line(tiny_model_path, tmp_path, capsys):
    huge = ["--stretch-h", "1000", "--stretch-v", "1000"]
    assert main(["sample", str(tiny_model_path), "-o", str(tmp_path), *huge]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: an output of") and "megapixels" in error and "Traceback" not in error
    assert main(["sample", str(tiny_model_path), "-o", str(tmp_path), "-n", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_the_command_line_writes_the_librarys_samples(tiny_model_path, tmp_path):
    assert main(["sample", str(tiny_model_path), "-o", str(tmp_path), "-n", "2", "--seed", "3"]) == 0
    expected = SinGAN.load(tiny_model_path).sample(2, seed=3)
    for index, sample in enumerate(expected):
        assert np.array_equal(np.asarray(Image.open(tmp_path / f"{index}.png")), to_uint8(sample))


# ----- out of memory -----------------------------------------------------------------


def test_torchs_allocation_failure_is_recognised():
    assert is_out_of_memory(impossible_allocation())
    with pytest.raises(RuntimeError) as caught:
        torch.zeros(2, 3) @ torch.zeros(2, 3)
    assert not is_out_of_memory(caught.value)


def test_an_allocation_failure_becomes_advice():
    expected = "ran out of memory making a big image; half as many pixels may fit: try a smaller one"
    with (
        pytest.raises(OutputSizeError, match=expected) as caught,
        out_of_memory_advice("a big image", lambda: "try a smaller one"),
    ):
        torch.empty(2**50, dtype=torch.uint8)
    assert is_out_of_memory(caught.value.__cause__)


def test_other_runtime_errors_pass_unchanged():
    with (
        pytest.raises(RuntimeError, match="shapes cannot be multiplied") as caught,
        out_of_memory_advice("a big image", lambda: "try a smaller one"),
    ):
        torch.zeros(2, 3) @ torch.zeros(2, 3)
    assert not isinstance(caught.value, OutputSizeError)
