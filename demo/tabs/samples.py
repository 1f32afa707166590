"""The Samples tab: random images from the picked model, from any start scale, at any size."""

from __future__ import annotations

import gradio as gr

from ..handlers.samples import MAX_SAMPLES, generate_samples, max_start_scale
from .shared import Shared
from .widgets import scale_choice, seed_box, stretch_sliders, variety_slider


def build(shared: Shared) -> None:
    with gr.Tab("Samples", id="samples", elem_id="samples-tab"), gr.Row():
        with gr.Column(scale=1):
            start = gr.Slider(0, 8, 0, step=1, label="Start scale", info="0 changes the layout, higher keeps it")
            stretch_h, stretch_v = stretch_sliders()
            variety = variety_slider()
            num = gr.Slider(1, MAX_SAMPLES, 4, step=1, label="Number of samples")
            seed = seed_box("samples")
            run = gr.Button("Generate", variant="primary", elem_id="samples-run")
        gallery = gr.Gallery(
            label="Samples", columns=2, format="png", object_fit="contain", elem_id="samples-gallery", scale=2
        )

    def sample(model, num, start, stretch_h, stretch_v, seed, variety):
        return generate_samples(model, num, start, stretch_h, stretch_v, seed, variety)

    def first_samples(model, num, stretch_h, stretch_v, seed):
        # The model's own variety, which the slider then shows.
        images = generate_samples(model, num, 0, stretch_h, stretch_v, seed)
        return scale_choice(0, max_start_scale(model), 0), model.variety(), images

    shared.generate(run, sample, [num, start, stretch_h, stretch_v, seed, variety], gallery, "sample")
    shared.on_model(
        first_samples, [start, variety, gallery], "samples_setup", [num, stretch_h, stretch_v, seed], heavy=True
    )
