"""The app's handlers, called directly as plain functions on the tiny model (no server, no browser)."""

import dataclasses
import shutil
import threading

import numpy as np
import pytest
from PIL import Image

from demo.handlers import animation, blend, paint, pyramid, samples, superres, train
from demo.handlers.injection import injection_range
from demo.models import ModelRegistry, describe
from demo.uploads import editor_background, editor_strokes, flatten, read_image
from singan_lite import ImageError, ModelFileError, SinGAN, to_uint8
from singan_lite import train as train_singan

from .conftest import ASSETS, TINY_IMAGE, tiny_config

TRAIN_CONFIG = train.training_config("paper", max_size=40, seed=0, iterations=2)


@pytest.fixture()
def registry(tmp_path, tiny_model_path) -> ModelRegistry:
    """A registry whose only shipped model is the tiny one, named after its training image."""
    shutil.copyfile(tiny_model_path, tmp_path / "mountains.safetensors")
    return ModelRegistry(tmp_path, device="cpu")


@pytest.fixture(scope="module")
def sr_model(tmp_path_factory) -> SinGAN:
    path = tmp_path_factory.mktemp("sr") / "sr.safetensors"
    train_singan(TINY_IMAGE, tiny_config(iterations=2).with_super_resolution(2.0), checkpoint=path, device="cpu")
    return SinGAN.load(path)


def _stroke_layer(size: tuple[int, int], box: tuple[slice, slice]) -> np.ndarray:
    layer = np.zeros((*size, 4), dtype=np.uint8)
    layer[box] = (255, 0, 0, 255)
    return layer


# ----- registry ----------------------------------------------------------------------------


def test_registry_lists_shipped_models_and_loads_each_once(registry):
    assert registry.names() == ["mountains"]
    assert registry.default_name() == "mountains"
    first = registry.load("mountains")
    assert registry.load("mountains") is first
    assert "scales" in describe(first)


def test_registry_explains_unknown_and_missing_names(registry):
    with pytest.raises(ValueError, match="choose a model first"):
        registry.load(None)
    with pytest.raises(ValueError, match="no model called 'nope'"):
        registry.load("nope", {})


def test_uploaded_model_joins_only_its_session(registry, tiny_model_path):
    name, session = registry.import_upload({}, tiny_model_path)
    assert name == "tiny (uploaded)"
    assert registry.names(session) == ["mountains", name]
    assert registry.names() == ["mountains"]
    assert registry.load(name, session).trained_scales == registry.load("mountains").trained_scales
    again, session = registry.import_upload(session, tiny_model_path)
    assert again == "tiny (uploaded) #2"
    registry.discard(session)
    assert not any(registry.path(n, session).exists() for n in (name, again))


def test_upload_rejects_files_that_are_not_models(registry, tmp_path):
    with pytest.raises(ModelFileError, match="not a model file"):
        registry.import_upload({}, TINY_IMAGE)
    fake = tmp_path / "fake.safetensors"
    fake.write_bytes(b"not a model at all")
    with pytest.raises(ModelFileError, match="not a singan-lite model file"):
        registry.import_upload({}, fake)
    with pytest.raises(ModelFileError, match=r"choose a \.safetensors"):
        registry.import_upload({}, None)


# ----- uploads -----------------------------------------------------------------------------


def test_huge_upload_is_scaled_down_with_a_notice(tmp_path):
    big = tmp_path / "big.png"
    Image.new("RGB", (900, 300), (10, 200, 30)).save(big)
    notices = []
    image = read_image(big, 300, notices.append, "the image")
    assert image.shape[-2:] == (100, 300)
    assert notices == ["The image is 900×300 px; it was scaled down to 300×100 px."]
    assert read_image(big, 1000, notices.append, "the image").shape[-2:] == (300, 900)
    assert len(notices) == 1


def test_missing_or_corrupt_upload_has_a_readable_error(tmp_path):
    with pytest.raises(ImageError, match="upload the image first"):
        read_image(None, 100, [].append, "the image")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG not really")
    with pytest.raises(ImageError, match=r"^'broken.png' is not a readable image"):
        read_image(str(broken), 100, [].append, "the image")


def test_editor_values_give_background_and_stroke_mask():
    background = np.zeros((4, 6, 4), dtype=np.uint8)
    background[..., 3] = 255
    layer = _stroke_layer((4, 6), (slice(1, 2), slice(2, 4)))
    value = {"background": background, "layers": [layer, np.zeros_like(layer)], "composite": None}
    assert editor_background(value, "x").shape == (4, 6, 3)
    strokes = editor_strokes(value)
    assert strokes.sum() == 2 and strokes[1, 2] and strokes[1, 3]
    assert editor_strokes({"layers": [np.zeros_like(layer)]}) is None
    with pytest.raises(ImageError, match="upload or paste a composite"):
        editor_background({"background": None, "layers": []}, "a composite")


def test_flatten_puts_transparent_pixels_on_white():
    rgba = np.array([[[0, 0, 0, 0], [0, 0, 0, 255], [200, 100, 0, 128]]], dtype=np.uint8)
    assert flatten(rgba).tolist() == [[[255, 255, 255], [0, 0, 0], [227, 177, 127]]]


# ----- samples and pyramid -----------------------------------------------------------------


def test_samples_are_repeatable_and_take_the_requested_size(tiny_model):
    height, width = tiny_model.sizes[-1]
    first = samples.generate_samples(tiny_model, 3, 0, 1.0, 1.0, 7)
    again = samples.generate_samples(tiny_model, 3, 0, 1.0, 1.0, 7)
    assert len(first) == 3 and first[0][0].shape == (height, width, 3)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0][0], first[1][0])
    assert first[0][1].startswith("seed 7 · #1")
    wide = samples.generate_samples(tiny_model, 1, 1, 2.0, 1.0, 7)
    assert wide[0][0].shape == (height, 2 * width, 3)
    with pytest.raises(ValueError, match="number of samples"):
        samples.generate_samples(tiny_model, 0, 0, 1.0, 1.0, 7)


def test_pyramid_explorer_shows_four_aligned_tiles_per_scale(tiny_model):
    tiles = pyramid.explore_pyramid(tiny_model, 0)
    assert len(tiles) == pyramid.COLUMNS * tiny_model.trained_scales
    assert {tile.shape for tile, _ in tiles} == {(*tiny_model.sizes[-1], 3)}
    assert "σ=" in tiles[2][1] and "adds" in tiles[3][1]
    assert np.array_equal(tiles[-4][0], to_uint8(tiny_model.training_image()))
    assert np.array_equal(tiles[-3][0], to_uint8(tiny_model.reconstruct()))


# ----- training ----------------------------------------------------------------------------


def test_training_streams_progress_and_registers_the_model(registry):
    stream = train.train_model(
        TINY_IMAGE, TRAIN_CONFIG, registry=registry, session={}, stop=threading.Event(), refresh_seconds=0
    )
    updates = list(stream)
    final = updates[-1]
    model = SinGAN.load(final.model_file)
    assert model.is_complete
    assert final.fraction == 1.0 and final.model_name in registry.names(final.session)
    assert registry.load(final.model_name, final.session).trained_scales == model.num_scales
    assert len(final.snapshots) == 3 * model.num_scales
    # Every loss over the whole run (singan_lite.viz.loss_curves), every iteration of a short run.
    assert {trace.name for trace in final.figure.data} >= {"reconstruction MSE", "critic on real patches"}
    iterations = sum(model.config.iterations_at(s, model.num_scales) for s in range(model.num_scales))
    assert len(final.figure.data[0].x) == iterations
    fractions = [update.fraction for update in updates]
    assert updates[0].status.startswith("Starting") and fractions[0] == 0
    assert fractions == sorted(fractions) and 0 < fractions[1] < 1


def test_stop_keeps_the_finished_scales(registry):
    stop = threading.Event()
    updates = []
    # Enough iterations per scale that training cannot finish while the stop travels.
    config = dataclasses.replace(TRAIN_CONFIG, iterations=40)
    for update in train.train_model(TINY_IMAGE, config, registry=registry, session={}, stop=stop):
        updates.append(update)
        if update.snapshots:
            stop.set()
    final = updates[-1]
    model = SinGAN.load(final.model_file)
    assert 1 <= model.trained_scales < model.num_scales
    assert final.status.startswith("Stopped; kept the finished scales")


def test_stop_switches_reach_only_their_own_session():
    switches = train.StopSwitches()
    mine, theirs = switches.arm("me"), switches.arm("them")
    assert switches.press("me") and mine.is_set() and not theirs.is_set()
    switches.release("me", mine)
    assert not switches.press("me")


def test_training_a_bad_image_fails_with_the_library_message(registry, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("hello")
    with pytest.raises(ImageError, match="not a readable image"):
        next(train.train_model(text, TRAIN_CONFIG, registry=registry, session={}, stop=threading.Event()))


# ----- paint, edit, harmonize --------------------------------------------------------------


def test_palette_has_five_brush_colours(tiny_model):
    colours = paint.palette(tiny_model, 1)
    assert len(colours) == 5 and all(len(colour) == 7 and colour.startswith("#") for colour in colours)


def test_canvases_have_the_training_size(tiny_model):
    height, width = tiny_model.sizes[-1]
    example = ASSETS / "inputs" / "paint_mountains.png"
    for start in paint.CANVAS_STARTS:
        value = paint.canvas(tiny_model, start, example)
        assert value["background"].shape == (height, width, 4)
    assert (paint.canvas(tiny_model, "blank canvas")["background"] == 255).all()
    with pytest.raises(ValueError, match="canvas starts from"):
        paint.canvas(tiny_model, "a photo")


def test_paint_turns_a_painting_into_an_image(tiny_model):
    height, width = tiny_model.sizes[-1]
    # As the editor sends it back untouched: the example painting as background, no composite.
    value = paint.canvas(tiny_model, "example painting", ASSETS / "inputs" / "paint_mountains.png")
    image = paint.paint_image(tiny_model, value, 1, False, 0)
    assert image.shape == (height, width, 3)
    progress = []
    quantised = paint.paint_image(
        tiny_model, value, 1, True, 0, finetune_iterations=2, progress=lambda done, _text: progress.append(done)
    )
    assert quantised.shape == image.shape and progress[-1] == 1.0


def test_blank_canvas_asks_for_a_painting(tiny_model):
    with pytest.raises(ImageError, match="canvas is blank"):
        paint.paint_image(tiny_model, paint.canvas(tiny_model, "blank canvas"), 1, False, 0)
    with pytest.raises(ImageError, match="paint a painting in the editor first"):
        paint.paint_image(tiny_model, {"background": None, "layers": [], "composite": None}, 1, False, 0)


def test_injection_slider_range(tiny_model):
    top, default = injection_range(tiny_model, "edit")
    assert top == tiny_model.trained_scales - 1 and 1 <= default <= top


@pytest.mark.parametrize("task", ["edit", "harmonize"])
def test_blending_changes_only_the_marked_region(tiny_model, task):
    size = tiny_model.sizes[-1]
    value = blend.editor_value(TINY_IMAGE, size)
    value["layers"] = [_stroke_layer(size, (slice(10, 16), slice(15, 22)))]
    (before, after), extras = blend.blend_images(tiny_model, task, value, None, 2, 0)
    assert before.shape == after.shape == (*size, 3)
    soft_mask = extras[1][0][..., 0]
    changed = np.abs(before.astype(int) - after.astype(int)).sum(axis=2) > 0
    assert changed[10:16, 15:22].all()
    assert (soft_mask == 0).any() and not changed[soft_mask == 0].any()


def test_uploaded_mask_works_without_strokes(tiny_model):
    size = tiny_model.sizes[-1]
    value = blend.editor_value(ASSETS / "inputs" / "edit_mountains.png", size)
    mask = ASSETS / "inputs" / "edit_mountains_mask.png"
    (before, after), _ = blend.blend_images(tiny_model, "edit", value, mask, 2, 0)
    assert not np.array_equal(before, after)


def test_blending_without_a_mask_says_how_to_mark_one(tiny_model):
    value = blend.editor_value(TINY_IMAGE, tiny_model.sizes[-1])
    with pytest.raises(ImageError, match="paint over it with the brush, or upload a mask"):
        blend.blend_images(tiny_model, "edit", value, None, 2, 0)
    with pytest.raises(ValueError, match="unknown task"):
        blend.blend_images(tiny_model, "recolour", value, None, 2, 0)


def test_editor_value_holds_the_composite_at_the_model_size(tiny_model):
    value = blend.editor_value(ASSETS / "inputs" / "edit_mountains.png", tiny_model.sizes[-1])
    assert value["background"].shape == (*tiny_model.sizes[-1], 4) and value["layers"] == []
    assert (value["background"][..., 3] == 255).all()


# ----- super-resolution and animation ------------------------------------------------------


def test_upscale_doubles_the_image_and_writes_a_png(sr_model, tmp_path):
    (bicubic, sharp), path = superres.upscale(sr_model, None, 0, tmp_path)
    height, width = sr_model.real.shape[-2:]
    assert bicubic.shape == sharp.shape == (2 * height, 2 * width, 3)
    assert np.array_equal(np.asarray(Image.open(path)), sharp)


def test_upscale_scales_a_huge_upload_down_first(sr_model, tmp_path):
    big = tmp_path / "big.png"
    Image.new("RGB", (1200, 600), (90, 120, 200)).save(big)
    notices = []
    (_, sharp), _ = superres.upscale(sr_model, big, 0, tmp_path, notify=notices.append)
    assert sharp.shape == (512, 1024, 3)
    assert len(notices) == 1 and "scaled down to 512×256" in notices[0]


def test_upscale_with_an_ordinary_model_explains_what_to_do(tiny_model, tmp_path):
    with pytest.raises(ValueError, match="not trained for super-resolution"):
        superres.upscale(tiny_model, None, 0, tmp_path)


def test_animation_writes_a_looping_gif_and_an_mp4(tiny_model, tmp_path):
    gif, downloads = animation.make_animation(tiny_model, 0.9, 1, 1.0, 1.0, 4, 10, 0, tmp_path)
    assert [path.suffix for path in downloads] == [".gif", ".mp4"]
    with Image.open(gif) as frames:
        assert frames.n_frames == 4 and frames.size == tiny_model.sizes[-1][::-1]
    with pytest.raises(ValueError, match="at most"):
        animation.make_animation(tiny_model, 0.9, 0, 1.0, 1.0, 1000, 10, 0, tmp_path)


def test_sample_handler_gives_the_library_pixels(tiny_model):
    """The gallery shows exactly what the library draws for the same seed (uint8, no lossy step)."""
    image = samples.generate_samples(tiny_model, 1, 0, 1.0, 1.0, 5)[0][0]
    assert np.array_equal(image, to_uint8(tiny_model.sample(1, seed=5)))
