import math
import re
import sys

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from PIL import Image

from singan_lite import ImageError, SinGAN, TrainConfig, load_image, plan_pyramid, resize, train
from singan_lite.memory import MAX_OUTPUT_PIXELS, OutputSizeError
from singan_lite.model import make_rng
from singan_lite.networks import Generator
from singan_lite.tasks import (
    animate,
    check_animation_path,
    default_injection_scale,
    edit,
    finetune_for_paint,
    harmonize,
    paint_to_image,
    quantize_colours,
    save_animation,
    super_resolve,
)
from singan_lite.tasks.blend import BLUR_SIGMA, EDIT_RADIUS, HARMONIZE_RADIUS
from singan_lite.tasks.palette import kmeans_colours, map_to_palette

from .conftest import ASSETS, TINY_IMAGE, tiny_config

PAINTING = ASSETS / "inputs" / "paint_mountains.png"
EDITED = ASSETS / "inputs" / "edit_mountains.png"
EDIT_MASK = ASSETS / "inputs" / "edit_mountains_mask.png"


def finest_size(model):
    return model.sizes[model.trained_scales - 1]


# ----- injection scales --------------------------------------------------------------


def test_default_scales_are_coarse_for_paint_and_mid_fine_for_blending():
    plan = plan_pyramid(188, 250)
    model = SinGAN(TrainConfig(), plan, torch.zeros(1, 3, *plan.sizes[-1]), torch.zeros(1, 1, *plan.sizes[0]))
    for scale in range(plan.num_scales):
        model.add_scale(Generator(model.width_at(scale)), 0.1)
    assert plan.num_scales == 10
    assert default_injection_scale(model, "paint") == 2
    assert default_injection_scale(model, "harmonize") == 4
    assert default_injection_scale(model, "edit") == 5
    with pytest.raises(ValueError, match="unknown task"):
        default_injection_scale(model, "sharpen")


def test_default_scales_stay_inside_a_small_model(tiny_model):
    finest = tiny_model.trained_scales - 1
    for task in ("paint", "edit", "harmonize"):
        assert 1 <= default_injection_scale(tiny_model, task) <= finest


@pytest.mark.parametrize("scale", [0, 4, -1])
def test_out_of_range_scale_names_the_valid_range(tiny_model, scale):
    with pytest.raises(ValueError, match="between 1 and 3"):
        paint_to_image(tiny_model, PAINTING, scale=scale)
    with pytest.raises(ValueError, match="between 1 and 3"):
        edit(tiny_model, EDITED, EDIT_MASK, scale=scale)


# ----- paint -------------------------------------------------------------------------


def test_paint_output_has_the_training_size_whatever_the_painting(tiny_model):
    square = np.zeros((50, 50, 3), np.uint8)
    square[25:] = (90, 120, 40)
    for painting in (PAINTING, square):
        image = paint_to_image(tiny_model, painting, seed=0)
        assert image.shape == (1, 3, *finest_size(tiny_model))
    same = paint_to_image(tiny_model, PAINTING, scale=2, seed=3)
    assert torch.equal(same, paint_to_image(tiny_model, PAINTING, scale=2, seed=3))


def test_kmeans_finds_the_flat_colours_of_an_image():
    colours = torch.tensor([[-1.0, -1.0, -1.0], [0.5, 0.0, -0.5], [1.0, 1.0, 1.0]])
    labels = torch.arange(12 * 12) % 3
    image = colours[labels].reshape(1, 12, 12, 3).permute(0, 3, 1, 2)
    palette = kmeans_colours(image, k=3)
    assert sorted(map(tuple, palette.tolist())) == sorted(map(tuple, colours.tolist()))
    # More clusters than colours: still a finite palette drawn from those colours.
    assert torch.isfinite(kmeans_colours(image, k=5)).all()


def test_map_to_palette_uses_only_palette_colours():
    palette = torch.tensor([[-1.0, 0.0, 1.0], [0.3, 0.3, 0.3]])
    image = torch.rand(2, 3, 7, 9) * 2 - 1
    snapped = map_to_palette(image, palette)
    assert snapped.shape == image.shape
    pixels = snapped.permute(0, 2, 3, 1).reshape(-1, 3)
    assert ((pixels[:, None] == palette[None]).all(dim=2).any(dim=1)).all()


def test_quantize_colours_is_a_repeatable_palette_of_the_injection_scale(tiny_model):
    palette = quantize_colours(tiny_model, 2)
    assert palette.shape == (5, 3)
    assert palette.min() >= -1 and palette.max() <= 1
    assert torch.equal(palette, quantize_colours(tiny_model, 2))


def test_finetune_changes_only_the_injection_generator_of_a_copy(tiny_model):
    before = {k: v.clone() for k, v in tiny_model.generators.state_dict().items()}
    events = []
    tuned = finetune_for_paint(tiny_model, 2, iterations=3, on_event=events.append)
    assert [event.iteration for event in events] == [1, 2, 3]
    assert all(event.scale == 2 for event in events)
    for key, value in tiny_model.generators.state_dict().items():
        assert torch.equal(value, before[key])  # the original is untouched
    tuned_state = tuned.generators.state_dict()
    changed = {key.split(".")[0] for key in before if not torch.equal(tuned_state[key], before[key])}
    assert changed == {"2"}
    image = paint_to_image(tuned, PAINTING, quantize=True, scale=2, seed=0)
    assert image.shape == (1, 3, *finest_size(tiny_model))


def test_finetune_stops_when_the_callback_says_so(tiny_model):
    events = []
    finetune_for_paint(tiny_model, 1, iterations=50, on_event=lambda event: events.append(event) or True)
    assert len(events) == 1


def test_finetune_learns_to_render_the_quantised_image(tiny_model):
    scale = 1
    palette = quantize_colours(tiny_model, scale)
    flat = resize(map_to_palette(tiny_model.training_image(scale - 1), palette), tiny_model.sizes[scale])
    target = tiny_model.training_image(scale)

    def error(model):
        rendered = model.generators[scale](torch.zeros_like(flat), flat)
        return torch.nn.functional.mse_loss(rendered, target).item()

    tuned = finetune_for_paint(tiny_model, scale, iterations=5)
    assert error(tuned) < 0.5 * error(tiny_model)


# ----- edit and harmonize ------------------------------------------------------------


def corner_mask(size, side=2):
    mask = np.zeros(size, np.uint8)
    mask[:side, :side] = 255
    return mask


@pytest.mark.parametrize(("task", "radius"), [(edit, EDIT_RADIUS), (harmonize, HARMONIZE_RADIUS)])
def test_blend_leaves_every_pixel_beyond_the_soft_mask_untouched(tiny_model, task, radius):
    size = finest_size(tiny_model)
    composite = tiny_model.real.clone()
    composite[..., :4, :4] = 1.0
    result = task(tiny_model, composite, corner_mask(size), seed=0)
    assert result.raw.shape == result.blended.shape == (1, 3, *size)
    assert result.mask.shape == (1, 1, *size)
    # The blend weight reaches the dilation radius plus the Gaussian's 3-sigma tail, no further.
    rows, cols = torch.meshgrid(torch.arange(size[0]), torch.arange(size[1]), indexing="ij")
    distance = torch.sqrt((rows - 1.0).clamp(min=0) ** 2 + (cols - 1.0).clamp(min=0) ** 2)
    far = distance > radius + math.ceil(3 * BLUR_SIGMA) + 1
    assert far.any()
    assert (result.mask[0, 0][far] == 0).all()
    untouched = (result.mask == 0).expand_as(composite)
    assert untouched.any()
    assert torch.equal(result.blended[untouched], composite[untouched])
    inside = (result.mask == 1).expand_as(composite)
    assert inside.any() and torch.equal(result.blended[inside], result.raw[inside])
    assert not torch.equal(result.raw, composite)


def test_blend_accepts_composites_and_masks_of_another_size(tiny_model):
    mask = np.zeros((100, 60), np.uint8)  # another size and aspect than the 31x40 model
    mask[40:60, 20:40] = 200
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[20:40, 20:40] = (10, 10, 10, 255)  # a dark but opaque region on a transparent canvas
    for task, region in ((edit, mask), (harmonize, rgba), (harmonize, EDIT_MASK)):
        result = task(tiny_model, EDITED, region, seed=1)
        assert result.blended.shape == (1, 3, *finest_size(tiny_model))
        assert 0 < result.mask.mean() < 1


def test_empty_mask_is_an_error(tiny_model, tmp_path):
    black = tmp_path / "black.png"
    Image.fromarray(np.zeros((20, 30), np.uint8)).save(black)
    with pytest.raises(ImageError, match="empty"):
        harmonize(tiny_model, EDITED, black)


# ----- super-resolution --------------------------------------------------------------


@pytest.fixture(scope="module")
def sr_model():
    return train(TINY_IMAGE, tiny_config(iterations=2).with_super_resolution(1.5), device="cpu")


def test_super_resolution_multiplies_the_size_by_the_factor(sr_model):
    height, width = sr_model.real.shape[-2:]
    upsampled = super_resolve(sr_model, seed=0)
    assert upsampled.shape == (1, 3, round(1.5 * height), round(1.5 * width))
    other = load_image(np.full((20, 30, 3), 128, np.uint8))
    assert super_resolve(sr_model, other, seed=0).shape == (1, 3, 30, 45)
    assert torch.equal(upsampled, super_resolve(sr_model, seed=0))


def test_super_resolution_in_tiles_gives_the_whole_scale_pixels(sr_model):
    # The call super_resolve makes at each step: the finest generator on an upsampled image.
    finest = sr_model.trained_scales - 1
    size = (round(1.5 * sr_model.real.shape[-2]), round(1.5 * sr_model.real.shape[-1]))
    noise = [sr_model.draw_noise(finest, size, 1, make_rng(0))]
    whole = sr_model.synthesise(finest, sr_model.real, noise, stop_scale=finest)
    tiled = sr_model.synthesise(finest, sr_model.real, noise, stop_scale=finest, tile=6)
    assert tiled.shape == (1, 3, *size)
    assert torch.allclose(tiled, whole, rtol=0, atol=1e-5)


def test_super_resolution_over_the_limit_names_an_input_that_fits(sr_model):
    huge = torch.zeros(1, 3, 1, 1).expand(1, 3, 4000, 6000)
    with pytest.raises(OutputSizeError, match="over the limit of 50 megapixels") as caught:
        super_resolve(sr_model, huge, seed=0)
    width, height = map(int, re.search(r"downscale the image to at most (\d+)x(\d+) px", str(caught.value)).groups())
    assert abs(width / height - 1.5) < 0.01
    assert MAX_OUTPUT_PIXELS * 0.99 < round(1.5 * height) * round(1.5 * width) <= MAX_OUTPUT_PIXELS


def test_super_resolution_needs_a_model_trained_for_it(tiny_model):
    with pytest.raises(ValueError, match="not trained for super-resolution"):
        super_resolve(tiny_model)


# ----- animation ---------------------------------------------------------------------


def mean_step(frames):
    return (frames[1:] - frames[:-1]).abs().mean().item()


def test_animation_has_the_frames_and_size_asked_for(tiny_model):
    frames = animate(tiny_model, frames=9, seed=0)
    assert frames.shape == (9, 3, *finest_size(tiny_model))
    stretched = animate(tiny_model, frames=3, start_scale=1, stretch_h=1.5, stretch_v=0.8, seed=0)
    assert stretched.shape == (3, 3, *tiny_model.stretched_sizes(1.5, 0.8)[-1])
    assert torch.equal(frames, animate(tiny_model, frames=9, seed=0))


def test_animation_moves_smoothly_and_loops(tiny_model):
    frames = animate(tiny_model, frames=16, seed=0)
    samples = tiny_model.sample(8, seed=1)
    between_samples = mean_step(samples)
    assert 0 < mean_step(frames) < 0.4 * between_samples
    seam = (frames[0] - frames[-1]).abs().mean().item()
    assert seam < 0.4 * between_samples


def test_animation_variety_widens_the_start_scales_walk(tiny_model):
    top = tiny_model.trained_scales - 1
    still = animate(tiny_model, frames=4, start_scale=top, seed=0, variety=0)
    assert all(torch.equal(frame, still[0]) for frame in still)
    calm, wide = (mean_step(animate(tiny_model, frames=8, seed=0, variety=v)) for v in (0.5, 2.0))
    assert calm < mean_step(animate(tiny_model, frames=8, seed=0)) < wide


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"frames": 0}, "frames"),
        ({"alpha": 1.5}, "alpha"),
        ({"beta": -0.1}, "beta"),
        ({"start_scale": 9}, "start"),
        ({"variety": -1}, "variety"),
    ],
)
def test_animation_rejects_bad_settings(tiny_model, settings, message):
    with pytest.raises(ValueError, match=message):
        animate(tiny_model, **settings)


def test_gif_loops_forever_with_every_frame(tiny_model, tmp_path):
    frames = animate(tiny_model, frames=7, seed=2)
    path = save_animation(frames, tmp_path / "loop.gif", fps=5)
    with Image.open(path) as gif:
        assert gif.n_frames == 7
        assert gif.info["loop"] == 0
        assert gif.info["duration"] == 200
        assert gif.size == (frames.shape[-1], frames.shape[-2])


def test_mp4_gets_even_sides(tmp_path):
    frames = torch.rand(5, 3, 31, 41) * 2 - 1
    path = save_animation(frames, tmp_path / "clip.mp4")
    video = iio.imread(path, plugin="FFMPEG")
    assert video.shape == (5, 32, 42, 3)


def test_animation_formats_are_checked(tmp_path, monkeypatch):
    frames = torch.zeros(2, 3, 8, 8)
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        save_animation(frames, tmp_path / "clip.avi")
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if it were not installed
    with pytest.raises(ValueError, match="pip install imageio-ffmpeg"):
        check_animation_path(tmp_path / "clip.mp4")
    assert check_animation_path(tmp_path / "clip.gif").suffix == ".gif"
