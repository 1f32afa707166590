"""The tabs' wiring, in-process: the model events, the training settings, and the page's HTTP API."""

import dataclasses

import gradio as gr
import pytest

from demo.handlers.train import StopSwitches, default_training_side
from demo.tabs.shared import Shared, friendly
from demo.tabs.training import TrainingSettings
from demo.tabs.widgets import VARIETY_INFO, variety_for
from demo.ui import build_demo
from singan_lite import ImageError, preset
from singan_lite.speed_probe import machine_speed

# Every endpoint and the names of its parameters, as gradio_client shows them (docs/app.md).
# The *_setup events with extra inputs take them unnamed (param_2, ...).
API_PARAMETERS = {
    "/animate": ["name", "beta", "start", "stretch_h", "stretch_v", "frames", "fps", "seed", "variety"],
    "/animation_setup": ["name"],
    "/edit": ["name", "painting", "mask_file", "scale", "seed"],
    "/edit_setup": ["name"],
    "/harmonize": ["name", "painting", "mask_file", "scale", "seed"],
    "/harmonize_setup": ["name"],
    "/model_info": ["name"],
    "/paint": ["name", "painting", "scale", "quantize", "seed"],
    "/paint_canvas": ["name", "start"],
    "/paint_palette": ["name", "scale"],
    "/paint_setup": ["name"],
    "/pyramid": ["name", "seed"],
    "/pyramid_setup": ["name", "param_2"],
    "/sample": ["name", "num", "start", "stretch_h", "stretch_v", "seed", "variety"],
    "/samples_setup": ["name", "param_2", "param_3", "param_4", "param_5"],
    "/stop_training": [],
    "/superres_preview": ["path"],
    "/superres_setup": ["name"],
    "/train": ["image", "preset_name", "max_size", "seed", "iterations", "min_size", "coarsest_convs"],
    "/train_estimate": ["image", "preset_name", "max_size", "seed", "iterations", "min_size", "coarsest_convs"],
    "/train_preview": ["path"],
    "/train_superres": ["image", "factor", "preset_name", "max_size", "seed", "iterations"],
    "/upload_model": ["file"],
    "/upscale": ["name", "image", "seed"],
}


@pytest.fixture()
def shared(registry) -> Shared:
    with gr.Blocks() as demo:
        session = gr.State({})
        picker = gr.Dropdown(registry.names(), value=registry.default_name())
    return Shared(registry, session, picker, demo, StopSwitches())


def test_every_endpoint_keeps_its_parameters(registry):
    endpoints = build_demo(registry).get_api_info()["named_endpoints"]
    parameters = {name: [p["parameter_name"] for p in info["parameters"]] for name, info in endpoints.items()}
    assert parameters == API_PARAMETERS


def test_the_large_sizes_are_offered(registry):
    """Train up to 1024 px (starting where this machine trains `fast` in time), samples up to 4 times
    the model, animations up to 3."""
    sliders = {block.elem_id: block for block in build_demo(registry).blocks.values() if isinstance(block, gr.Slider)}
    start = default_training_side(machine_speed())
    assert (sliders["train-max-size"].maximum, sliders["train-max-size"].value) == (1024, start)
    assert sliders["superres-max-size"].value == 160
    assert sliders["samples-stretch-h"].maximum == sliders["samples-stretch-v"].maximum == 4
    assert sliders["animation-stretch-h"].maximum == sliders["animation-stretch-v"].maximum == 3


def test_a_model_event_gets_the_picked_model_and_shows_the_functions_parameters(shared):
    def paint_like(model, painting, scale, progress=gr.Progress()):  # noqa: B008
        return model, painting, scale

    handler = shared.model_event(paint_like)
    assert list(handler.__signature__.parameters) == ["name", "session", "painting", "scale", "progress"]
    assert isinstance(handler.__signature__.parameters["progress"].default, gr.Progress)
    model, painting, scale = handler("mountains", {}, "a painting", 3)
    assert model is shared.registry.load("mountains") and (painting, scale) == ("a painting", 3)


def test_a_model_event_can_also_get_the_models_name(shared, tiny_model_path):
    name, session = shared.registry.import_upload({}, tiny_model_path)
    handler = shared.model_event(lambda model, name, seed: (model.trained_scales, name, seed), with_name=True)
    assert list(handler.__signature__.parameters) == ["name", "session", "seed"]
    assert handler(name, session, 7) == (shared.registry.load(name, session).trained_scales, name, 7)
    with pytest.raises(ValueError, match="no model called 'gone'"):
        handler("gone", session, 7)


def test_library_errors_reach_the_visitor_as_sentences():
    def fails():
        raise ImageError("upload the image first.")

    def fails_while_streaming():
        yield 1
        raise ValueError("the canvas is blank.")

    with pytest.raises(gr.Error) as plain:
        friendly(fails)()
    assert plain.value.message == "Upload the image first."
    stream = friendly(fails_while_streaming)()
    assert next(stream) == 1
    with pytest.raises(gr.Error) as streamed:
        next(stream)
    assert streamed.value.message == "The canvas is blank."
    with pytest.raises(KeyError):  # a bug stays a bug, with its traceback
        friendly(lambda: {}["missing"])()


def test_training_settings_override_the_preset_only_where_set():
    fast = preset("fast")
    config = TrainingSettings(image=None, preset_name="fast", max_size=40, seed=3, iterations=0).config()
    assert (config.max_size, config.seed, config.iterations, config.min_size) == (40, 3, fast.iterations, fast.min_size)
    assert not config.sr_factor
    assert config.coarsest_convs == fast.coarsest_convs
    # The Advanced dropdown's first choice, 0, keeps each preset's own depth (quality's G_0 has 4).
    quality = TrainingSettings(image=None, preset_name="quality", max_size=40, seed=3, iterations=0, coarsest_convs=0)
    assert quality.config().coarsest_convs == preset("quality").coarsest_convs == 4
    tuned = TrainingSettings(
        image=None, preset_name="fast", max_size=40, seed=3, iterations=5, min_size=20, coarsest_convs=3
    ).config()
    assert (tuned.iterations, tuned.min_size, tuned.coarsest_convs) == (5, 20, 3)
    upscaling = TrainingSettings(image=None, preset_name="fast", max_size=40, seed=3, iterations=0, sr_factor=2.0)
    assert upscaling.config().sr_factor == 2.0


def test_the_variety_slider_cautions_only_for_a_shallow_coarsest_generator(tiny_model):
    tiny_model.config = dataclasses.replace(tiny_model.config, variety=1.5)
    usual = variety_for(tiny_model)
    assert (usual["value"], usual["info"]) == (1.5, VARIETY_INFO)
    tiny_model.config = dataclasses.replace(tiny_model.config, coarsest_convs=3)
    shallow = variety_for(tiny_model)
    assert shallow["value"] == 1.5 and "fade below 1" in shallow["info"]
