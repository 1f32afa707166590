"""The app as an HTTP API: launched on 127.0.0.1 and driven through gradio_client, every api_name.

Each test gets its own client, that is its own browser session, so models trained or
uploaded in one test are invisible to the others, as they would be to other visitors.
"""

import multiprocessing
import re
import shutil
import time

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from demo.models import ModelRegistry
from demo.ui import build_demo, launch_options
from singan_lite import ScaleEvent, SinGAN, train

from ..conftest import ASSETS, TINY_IMAGE, generator_convs, tiny_config

INPUTS = ASSETS / "inputs"
TINY_TRAINING = ("paper", 40, 0, 2)  # preset, max size, seed, iterations per scale
ENDPOINTS = {
    "/model_info",
    "/upload_model",
    "/sample",
    "/samples_setup",
    "/train_preview",
    "/train_estimate",
    "/train",
    "/stop_training",
    "/paint_setup",
    "/paint_canvas",
    "/paint_palette",
    "/paint",
    "/edit_setup",
    "/edit",
    "/harmonize_setup",
    "/harmonize",
    "/superres_preview",
    "/superres_setup",
    "/upscale",
    "/train_superres",
    "/animation_setup",
    "/animate",
    "/pyramid_setup",
    "/pyramid",
}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, tiny_model_path):
    shipped = tmp_path_factory.mktemp("shipped")
    shutil.copyfile(tiny_model_path, shipped / "mountains.safetensors")
    demo = build_demo(ModelRegistry(shipped, device="cpu"))
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, **launch_options())
    yield url
    demo.close()


def _client(url: str) -> Client:
    # httpx's own read timeout, which the client's cancel request uses, is too short for a
    # server that shares its cores with a training process.
    return Client(url, verbose=False, httpx_kwargs={"timeout": 60})


@pytest.fixture()
def client(app_url) -> Client:
    return _client(app_url)


def _png(path: str) -> Image.Image:
    image = Image.open(path)
    assert image.format == "PNG"
    return image


def _editor(background, layers=(), composite=None) -> dict:
    """An ImageEditor value as the API takes it: files for the background, the stroke layers, the composite."""
    return {
        "background": handle_file(background),
        "layers": [handle_file(layer) for layer in layers],
        "composite": None if composite is None else handle_file(composite),
    }


def _stroke_layer(tmp_path, mask_file) -> str:
    """The example mask drawn as a brush layer: opaque red where the mask is white, transparent elsewhere."""
    mask = Image.open(mask_file).convert("L")
    layer = Image.new("RGBA", mask.size, (0, 0, 0, 0))
    layer.paste((255, 0, 0, 255), mask=mask)
    path = tmp_path / "layer.png"
    layer.save(path)
    return str(path)


def test_every_endpoint_is_tested(client):
    assert set(client.view_api(return_format="dict", print_info=False)["named_endpoints"]) == ENDPOINTS


def test_model_info_describes_the_model(client):
    assert "40×31 px" in client.predict("mountains", api_name="/model_info")


def test_samples_are_lossless_pngs(client):
    gallery, downloads = client.predict("mountains", 2, 0, 2.0, 1.0, 3, api_name="/sample")
    assert len(gallery) == 2 and gallery[0]["caption"].startswith("seed 3")
    # Small enough for the page: shown at full size, nothing else to download.
    assert _png(gallery[0]["image"]).size == (80, 31) and downloads is None
    start, variety, first_samples, downloads = client.predict("mountains", 4, 1.0, 1.0, 0, api_name="/samples_setup")
    # The variety slider shows the model's own setting.
    assert start["maximum"] == 3 and variety["value"] == 1.0 and len(first_samples) == 4 and downloads is None
    varied, _ = client.predict("mountains", 2, 0, 2.0, 1.0, 3, 2.5, api_name="/sample")
    assert _png(varied[0]["image"]).tobytes() != _png(gallery[0]["image"]).tobytes()


def test_the_train_tab_estimates_the_time_before_training(client):
    estimate = client.predict(handle_file(TINY_IMAGE), "fast", 1024, 0, 0, 0, api_name="/train_estimate")
    # The finest scale is the image's own size; the time is the library's estimate, for the speed the
    # app measured (or, on a machine too busy to measure then, for 2-core CPUs).
    assert estimate.startswith("*fast* at 250×188 px: 11 scales")
    assert re.search(r"about \*\*[\d.]+ (s|min|h)\*\* on (2 CPU cores|this machine's CPU)\.", estimate)
    assert client.predict(None, "fast", 1024, 0, 0, 0, api_name="/train_estimate").startswith("Pick an image")


def test_training_streams_and_the_model_becomes_usable(client):
    job = client.submit(handle_file(TINY_IMAGE), *TINY_TRAINING, api_name="/train")
    status, plot, snapshots, model_file, picker = job.result()
    name = picker["value"]
    assert status.startswith("Finished") and name == "mountains (paper)" and name in str(picker["choices"])
    assert plot["type"] == "plotly" and len(snapshots) == 3 * SinGAN.load(model_file).num_scales
    assert len(job.outputs()) > 1
    assert len(client.predict(name, 1, 0, 1.0, 1.0, 0, api_name="/sample")[0]) == 1


def test_training_honours_the_coarsest_scale_and_explains_one_too_small(client):
    *_, model_file, picker = client.predict(handle_file(TINY_IMAGE), *TINY_TRAINING, 20, 3, api_name="/train")
    model = SinGAN.load(model_file)
    assert min(model.sizes[0]) == 20 and model.config.coarsest_convs == 3
    assert generator_convs(model)[0] == 3
    # Its variety slider says that weaker noise can empty such a model's scene.
    _, variety, *_ = client.predict(picker["value"], 1, 1.0, 1.0, 0, api_name="/samples_setup")
    assert "fade below 1" in variety["info"]
    with pytest.raises(AppError, match="at least 11 px"):
        client.predict(handle_file(TINY_IMAGE), *TINY_TRAINING, 10, api_name="/train")


def test_sampling_answers_during_training_and_stop_keeps_the_finished_scales(client):
    job = client.submit(handle_file(TINY_IMAGE), "paper", 40, 0, 40, api_name="/train")
    deadline = time.monotonic() + 120
    while not any("finished" in str(output[0]) for output in job.outputs()):
        assert time.monotonic() < deadline and not job.done()
        time.sleep(0.1)
    # Training has its own queue slot: a sample does not wait for it to end.
    assert len(client.predict("mountains", 1, 0, 1.0, 1.0, 0, api_name="/sample")[0]) == 1
    assert not job.done()
    client.predict(api_name="/stop_training")
    status, *_, picker = job.result()
    assert status.startswith("Stopped; kept the finished scales")
    assert picker["value"].endswith("scales)")


def test_cancelling_a_training_event_ends_its_training_process(client):
    job = client.submit(handle_file(TINY_IMAGE), "paper", 40, 0, 500, api_name="/train")
    deadline = time.monotonic() + 60
    while not job.outputs():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert job.cancel()
    while any(child.name == "singan-train" for child in multiprocessing.active_children()):
        assert time.monotonic() < deadline, "training went on after its event was cancelled"
        time.sleep(0.1)


def test_uploaded_model_is_usable_and_a_bad_one_is_explained(client, tiny_model_path, tmp_path):
    name = client.predict(handle_file(tiny_model_path), api_name="/upload_model")["value"]
    assert name == "tiny (uploaded)"
    assert "scales" in client.predict(name, api_name="/model_info")
    fake = tmp_path / "fake.safetensors"
    fake.write_bytes(b"0123456789")
    with pytest.raises(AppError, match=r"^'fake.safetensors' is not a singan-lite model file"):
        client.predict(handle_file(fake), api_name="/upload_model")


@pytest.mark.parametrize("trained_scales", [1, 2])
def test_every_tab_sets_up_for_a_model_with_one_or_two_trained_scales(client, trained_scales, tmp_path):
    """Such a model leaves a single injection scale, or a single start scale: the slider hides at it."""
    checkpoint = tmp_path / f"short{trained_scales}.safetensors"
    stop = lambda event: isinstance(event, ScaleEvent) and event.scale == trained_scales - 1  # noqa: E731
    train(TINY_IMAGE, tiny_config(iterations=2), checkpoint=checkpoint, on_event=stop, device="cpu")
    name = client.predict(handle_file(checkpoint), api_name="/upload_model")["value"]
    top = trained_scales - 1
    start, *_ = client.predict(name, 1, 1.0, 1.0, 0, api_name="/samples_setup")
    assert (start["visible"], start["value"]) == (top > 0, 0)
    assert client.predict(name, api_name="/animation_setup")[0]["value"] == top
    for api_name in ("/paint_setup", "/edit_setup", "/harmonize_setup"):
        injection = client.predict(name, api_name=api_name)[0]
        assert (injection["visible"], injection["value"]) == (False, 1)


def test_paint(client):
    scale, start, editor, _ = client.predict("mountains", api_name="/paint_setup")
    assert (scale["maximum"], scale["value"], start) == (3, 1, "example painting")
    assert editor["canvas_size"] == [40, 31] and len(editor["brush"]["colors"]) == 5
    blank = client.predict("mountains", "blank canvas", api_name="/paint_canvas")
    assert _png(blank["value"]["background"]).size == (40, 31)
    palette = client.predict("mountains", 2, api_name="/paint_palette")
    assert len(palette["brush"]["colors"]) == 5
    painting = INPUTS / "paint_mountains.png"
    result = client.predict("mountains", _editor(painting, composite=painting), 1, False, 0, api_name="/paint")
    assert _png(result).size == (40, 31)


@pytest.mark.parametrize("task", ["edit", "harmonize"])
def test_blending_tasks_with_a_painted_mask(client, task, tmp_path):
    scale, editor, example_mask, _, _ = client.predict("mountains", api_name=f"/{task}_setup")
    assert scale["maximum"] == 3 and editor["value"]["background"]
    assert (example_mask is not None) == (task == "edit")  # only edit_mountains.png is shipped
    composite, mask = INPUTS / "edit_mountains.png", INPUTS / "edit_mountains_mask.png"
    value = _editor(composite, [_stroke_layer(tmp_path, mask)])
    (before, after), extras = client.predict("mountains", value, None, 2, 0, api_name=f"/{task}")
    assert _png(before).size == _png(after).size == (40, 31)
    assert len(extras) == 2
    with pytest.raises(AppError, match="Mark the part to fix"):
        client.predict("mountains", _editor(composite), None, 2, 0, api_name=f"/{task}")


def test_super_resolution_after_training_an_sr_model(client):
    assert "not trained for super-resolution" in client.predict("mountains", api_name="/superres_setup")
    with pytest.raises(AppError, match="not trained for super-resolution"):
        client.predict("mountains", None, 0, api_name="/upscale")
    status, model_file, picker = client.predict(
        handle_file(TINY_IMAGE), 2.0, *TINY_TRAINING, api_name="/train_superres"
    )
    name = picker["value"]
    assert status.startswith("Finished") and "×2 SR" in name and model_file.endswith(".safetensors")
    assert "×2" in client.predict(name, api_name="/superres_setup")
    (bicubic, sharp), download = client.predict(name, None, 0, api_name="/upscale")
    assert _png(sharp).size == _png(bicubic).size == _png(download).size
    assert _png(sharp).size[0] == 2 * TINY_TRAINING[1]


def test_animation_plays_as_a_gif_with_downloads(client):
    start, variety = client.predict("mountains", api_name="/animation_setup")
    assert start["maximum"] == 3 and variety["value"] == 1.0
    gif, downloads = client.predict("mountains", 0.9, 1, 1.0, 1.0, 10, 10, 0, api_name="/animate")
    with Image.open(gif) as animation:
        assert animation.format == "GIF" and animation.n_frames == 10
    assert sorted(path.rsplit(".", 1)[1] for path in downloads) == ["gif", "mp4"]


def test_pyramid_explorer(client):
    for api_name in ("/pyramid", "/pyramid_setup"):
        tiles = client.predict("mountains", 0, api_name=api_name)
        assert len(tiles) == 16 and "scale 0" in tiles[0]["caption"]


def test_without_any_model_the_page_waits_for_one(tmp_path):
    """Before models are shipped or trained, loading the page changes nothing and raises nothing."""
    demo = build_demo(ModelRegistry(tmp_path, device="cpu"))
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, **launch_options())
    try:
        client = _client(url)
        assert client.predict(None, 4, 1.0, 1.0, 0, api_name="/samples_setup") == ({"__type__": "update"},) * 4
        with pytest.raises(AppError, match="Choose a model first"):
            client.predict(None, 1, 0, 1.0, 1.0, 0, api_name="/sample")
    finally:
        demo.close()


def test_uploads_beyond_the_size_limit_are_refused(client, tmp_path):
    huge = tmp_path / "huge.png"
    huge.write_bytes(b"0" * 30_000_000)
    with pytest.raises(Exception, match=r"(?i)too large|exceed|413"):
        client.predict(handle_file(huge), api_name="/train_preview")


def test_uploads_are_previewed_and_a_corrupt_one_is_explained(client, tmp_path):
    for api_name in ("/train_preview", "/superres_preview"):
        assert _png(client.predict(handle_file(TINY_IMAGE), api_name=api_name)).size == Image.open(TINY_IMAGE).size
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n definitely not an image")
    with pytest.raises(AppError, match=r"^'broken.png' is not a readable image"):
        client.predict(handle_file(broken), api_name="/train_preview")
    with pytest.raises(AppError, match="not a readable image"):
        client.predict(handle_file(broken), *TINY_TRAINING, api_name="/train")
