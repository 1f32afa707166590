"""The Samples tab: random images from the picked model, from any start scale, at any size."""

from __future__ import annotations

import gradio as gr

from ..handlers.samples import MAX_SAMPLES, max_start_scale, show_samples
from .shared import Shared
from .widgets import scale_choice, seed_box, stretch_sliders, variety_for, variety_slider

# Four times a 1024 px model's size is a 4096 px sample, inside the library's output limit.
MAX_STRETCH = 4.0


def build(shared: Shared) -> None:
    with gr.Tab("Samples", id="samples", elem_id="samples-tab"), gr.Row():
        with gr.Column(scale=1):
            start = gr.Slider(0, 8, 0, step=1, label="Start scale", info="0 changes the layout, higher keeps it")
            stretch_h, stretch_v = stretch_sliders("samples", MAX_STRETCH)
            variety = variety_slider()
            num = gr.Slider(1, MAX_SAMPLES, 4, step=1, label="Number of samples")
            seed = seed_box("samples")
            run = gr.Button("Generate", variant="primary", elem_id="samples-run")
        with gr.Column(scale=2):
            gallery = gr.Gallery(
                label="Samples", columns=2, format="png", object_fit="contain", elem_id="samples-gallery"
            )
            downloads = gr.File(
                label="Full-size PNGs (when larger than the gallery's previews)",
                file_count="multiple",
                interactive=False,
                elem_id="samples-files",
            )

    def sample(model, num, start, stretch_h, stretch_v, seed, variety):
        images, files = show_samples(
            model, num, start, stretch_h, stretch_v, seed, variety, shared.registry.output_folder
        )
        return images, [str(path) for path in files] or None

    def first_samples(model, num, stretch_h, stretch_v, seed):
        # The model's own variety, which the slider then shows.
        images, files = sample(model, num, 0, stretch_h, stretch_v, seed, None)
        return scale_choice(0, max_start_scale(model), 0), variety_for(model), images, files

    shared.generate(run, sample, [num, start, stretch_h, stretch_v, seed, variety], [gallery, downloads], "sample")
    shared.on_model(
        first_samples,
        [start, variety, gallery, downloads],
        "samples_setup",
        [num, stretch_h, stretch_v, seed],
        heavy=True,
    )
