"""Components several tabs place the same way: seeds, size and scale sliders, image uploads."""

from __future__ import annotations

import gradio as gr

from singan_lite import SinGAN
from singan_lite.networks import NUM_CONVS

from .. import uploads
from .shared import INSTANT, friendly

MAX_SEED = 2**31
# Single result images get a fixed height: otherwise Gradio sizes the box before the image arrives.
OUTPUT_HEIGHT = 420


def seed_box(name: str) -> gr.Number:
    """A seed, and a button that draws a new one in the browser: no round trip, nothing for the API to offer."""
    with gr.Row(equal_height=True):
        seed = gr.Number(0, label="Seed", precision=0, minimum=0, maximum=MAX_SEED - 1, scale=3, elem_id=f"{name}-seed")
        dice = gr.Button("Random", scale=1, min_width=60, size="sm")
    dice.click(None, None, seed, js=f"() => Math.floor(Math.random() * {MAX_SEED})")
    return seed


def stretch_sliders(name: str, maximum: float) -> tuple[gr.Slider, gr.Slider]:
    """Width and height factors on the model's size, up to `maximum`."""
    stretch_h = gr.Slider(0.5, maximum, 1.0, step=0.25, label="Stretch width ×", elem_id=f"{name}-stretch-h")
    stretch_v = gr.Slider(0.5, maximum, 1.0, step=0.25, label="Stretch height ×", elem_id=f"{name}-stretch-v")
    return stretch_h, stretch_v


VARIETY_INFO = "1: as trained · higher: newer layouts, less real"


def variety_slider() -> gr.Slider:
    """The factor on the start scale's noise; set to the picked model's own when it loads (`variety_for`)."""
    return gr.Slider(0.5, 3, 1, step=0.1, label="Variety", info=VARIETY_INFO)


def variety_for(model: SinGAN) -> dict:
    """The variety slider's update for a newly picked model: the recipe's own variety, and a caution where needed.

    A shallow coarsest generator draws the scene from its noise itself, so weaker noise
    than it was trained on can empty the scene when sampling starts at scale 0. Why:
    docs/design.md#a-shallower-coarsest-generator
    """
    info = VARIETY_INFO
    if model.config.coarsest_convs < NUM_CONVS:
        info += " · this model's scene can fade below 1 from start scale 0"
    return gr.update(value=model.variety(), info=info)


def injection_slider(name: str) -> gr.Slider:
    return gr.Slider(
        1, 8, 2, step=1, label="Injection scale", elem_id=f"{name}-scale", info="lower: the input only sets the layout"
    )


def scale_choice(lowest: int, top: int, value: int) -> dict:
    """A scale slider's update for a model whose scales run from `lowest` to `top`.

    Gradio refuses a slider whose minimum is not below its maximum, so a model that
    leaves a single choice (one or two trained scales) hides the slider at that choice.
    """
    if top <= lowest:
        return gr.update(minimum=lowest, maximum=lowest + 1, value=lowest, visible=False)
    return gr.update(minimum=lowest, maximum=top, value=value, visible=True)


def image_upload(label: str, name: str, value: str | None = None) -> gr.File:
    """A file drop for any image format, with a preview that shows at once what the app will use.

    A gr.File rather than a gr.Image: gr.Image decodes uploads itself and a corrupt
    file would fail there with Gradio's message; here the library reads it and explains.
    """
    upload = gr.File(value, label=label, file_types=["image"], type="filepath", elem_id=f"{name}-image")
    preview = gr.Image(value, label="Preview", format="png", interactive=False, height=220)

    def show(path):
        return uploads.preview(path, notify=gr.Warning)

    upload.change(friendly(show), upload, preview, api_name=f"{name}_preview", **INSTANT)
    return upload
