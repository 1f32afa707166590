"""The Samples tab: random images from the picked model, from any start scale, at any size."""

from __future__ import annotations

import gradio as gr

from ..handlers.samples import MAX_SAMPLES, generate_samples, max_start_scale
from .shared import Shared
from .widgets import scale_choice, seed_box, size_sliders


def build(shared: Shared) -> None:
    with gr.Tab("Samples", id="samples", elem_id="samples-tab"), gr.Row():
        with gr.Column(scale=1):
            start = gr.Slider(0, 8, 0, step=1, label="Start scale", info="0 changes the layout, higher keeps it")
            scale_h, scale_v = size_sliders()
            num = gr.Slider(1, MAX_SAMPLES, 4, step=1, label="Number of samples")
            seed = seed_box("samples")
            run = gr.Button("Generate", variant="primary", elem_id="samples-run")
        gallery = gr.Gallery(
            label="Samples", columns=2, format="png", object_fit="contain", elem_id="samples-gallery", scale=2
        )

    def sample(model, num, start, scale_h, scale_v, seed):
        return generate_samples(model, num, start, scale_h, scale_v, seed)

    def first_samples(model, num, scale_h, scale_v, seed):
        images = generate_samples(model, num, 0, scale_h, scale_v, seed)
        return scale_choice(0, max_start_scale(model), 0), images

    shared.generate(run, sample, [num, start, scale_h, scale_v, seed], gallery, "sample")
    shared.on_model(first_samples, [start, gallery], "samples_setup", [num, scale_h, scale_v, seed], heavy=True)
