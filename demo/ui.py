"""The page: the header, the model picker every tab shares, and the tabs (demo.tabs), in order.

Layout and wiring only; every computation lives in demo.handlers. Every event has an
api_name, so the page is also an HTTP API (gradio_client, docs/app.md). Library errors
(bad images, bad model files, bad settings) reach the visitor as gr.Error with the
library's own message.
"""

from __future__ import annotations

import gradio as gr

from .handlers.train import StopSwitches
from .models import ROOT, ModelRegistry, describe
from .polling import poll_gently
from .tabs import animation, blend, paint, pyramid, samples, superres, train
from .tabs.shared import INSTANT, Shared, friendly
from .tabs.training import wire_stop

MAX_UPLOAD = "25mb"

INTRO = """# singan-lite
SinGAN learns a generative model from **one** image. Pick a model (or train one on your own image
in the *Train* tab), then make samples of any size, turn a painting into a picture, fix an edited or
pasted part, upscale, animate, and see what each scale of the pyramid adds."""


def launch_options() -> dict:
    """What app.py (and the tests) pass to launch(): upload limit, files the page may serve."""
    return {"max_file_size": MAX_UPLOAD, "allowed_paths": [str(ROOT / "assets")]}


def _picker_row(registry: ModelRegistry, session: gr.State) -> tuple[gr.Dropdown, gr.UploadButton, gr.Markdown]:
    with gr.Row():
        picker = gr.Dropdown(
            registry.names(),
            value=registry.default_name(),
            label="Model",
            info="shipped models, then the ones you train or upload here",
            elem_id="model-picker",
            scale=3,
        )
        upload = gr.UploadButton("Upload a model (.safetensors)", file_types=[".safetensors"], size="md", scale=1)
    info = gr.Markdown(
        "No model yet: train one in the *Train* tab, or upload one.", label="About the model", elem_id="model-info"
    )
    return picker, upload, info


def _wire_picker(shared: Shared, upload: gr.UploadButton, info: gr.Markdown) -> None:
    registry = shared.registry

    def upload_model(file: str, session: dict) -> tuple[dict, dict]:
        name, session = registry.import_upload(session, file)
        gr.Info(f"'{name}' is ready in every tab.")
        return gr.update(choices=registry.names(session), value=name), session

    shared.on_model(describe, [info], "model_info")
    upload.upload(
        friendly(upload_model),
        [upload, shared.session],
        [shared.picker, shared.session],
        api_name="upload_model",
        **INSTANT,
    )


def build_demo(registry: ModelRegistry | None = None) -> gr.Blocks:
    """The whole page; pass a registry to choose where shipped models come from (the tests do)."""
    registry = registry or ModelRegistry()
    with gr.Blocks(title="singan-lite", delete_cache=(3600, 3600)) as demo:
        gr.Markdown(INTRO)
        session = gr.State({}, delete_callback=registry.discard)
        picker, upload, info = _picker_row(registry, session)
        shared = Shared(registry, session, picker, demo, StopSwitches())
        _wire_picker(shared, upload, info)
        with gr.Tabs():
            samples.build(shared)
            train_stop = train.build(shared)
            paint.build(shared)
            blend.build(shared, "edit")
            blend.build(shared, "harmonize")
            superres_stop = superres.build(shared)
            animation.build(shared)
            pyramid.build(shared)
        wire_stop(shared, [train_stop, superres_stop])
    demo.queue(default_concurrency_limit=1)
    poll_gently(demo)
    return demo
