"""The Editing and Harmonization tabs: one module, as the tasks differ only in their words and library call."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ..examples import example_input, example_mask
from ..handlers.blend import blend_images, editor_value
from ..handlers.injection import injection_range
from .shared import Shared
from .widgets import injection_slider, scale_choice, seed_box


@dataclass(frozen=True)
class BlendTab:
    title: str
    verb: str
    hint: str


TABS = {
    "edit": BlendTab(
        "Editing",
        "Edit",
        "Upload an edited image (parts moved or pasted), paint over the changed part, and SinGAN redraws it.",
    ),
    "harmonize": BlendTab(
        "Harmonization",
        "Harmonize",
        "Upload an image with a pasted object, paint over the object, and SinGAN re-renders it in the image's style.",
    ),
}


def build(shared: Shared, task: str) -> None:
    """The tab for `task`, "edit" or "harmonize"."""
    tab = TABS[task]
    with gr.Tab(tab.title, id=task, elem_id=f"{task}-tab"):
        gr.Markdown(tab.hint)
        with gr.Row():
            with gr.Column(scale=1):
                editor = gr.ImageEditor(
                    type="numpy",
                    image_mode="RGBA",
                    format="png",
                    label="Composite: paint over the part to fix",
                    elem_id=f"{task}-editor",
                    brush=gr.Brush(colors=[("#ff4040", 0.6)], color_mode="fixed"),
                    sources=["upload", "clipboard"],
                )
                mask = gr.Image(
                    type="filepath",
                    image_mode=None,
                    label="Mask (white = fix), added to the brush strokes",
                    height=160,
                    elem_id=f"{task}-mask",
                )
                scale = injection_slider(task)
                seed = seed_box(task)
                run = gr.Button(tab.verb, variant="primary", elem_id=f"{task}-run")
            with gr.Column(scale=1):
                before_after = gr.ImageSlider(label="Before / after", format="png", elem_id=f"{task}-slider")
                extras = gr.Gallery(
                    label="How it was made", columns=2, format="png", object_fit="contain", elem_id=f"{task}-extras"
                )

    def setup(model, name):
        top, default = injection_range(model, task)
        example = example_input(task, name)
        composite = example if example is not None else model.training_image()
        height, width = model.sizes[-1]
        editor_update = gr.update(value=editor_value(composite, (height, width)), canvas_size=(width, height))
        mask_file = None if example is None else example_mask(task, name)
        return scale_choice(1, top, default), editor_update, mask_file, None, None

    def run_task(model, painting, mask_file, scale, seed):
        return blend_images(model, task, painting, mask_file, scale, seed)

    shared.on_model(setup, [scale, editor, mask, before_after, extras], f"{task}_setup", with_name=True)
    shared.generate(run, run_task, [editor, mask, scale, seed], [before_after, extras], task)
