"""The Pyramid explorer tab: per scale, the real image, the reconstruction, a sample, and what the scale adds."""

from __future__ import annotations

import gradio as gr

from ..handlers.pyramid import COLUMNS, explore_pyramid
from .shared import Shared
from .widgets import seed_box


def build(shared: Shared) -> None:
    with gr.Tab("Pyramid explorer", id="pyramid", elem_id="pyramid-tab"):
        gr.Markdown(
            "One row per scale, coarsest first: the real image at that scale, the model's reconstruction, "
            "a random sample, and what that scale's generator adds to the upsampled image from below."
        )
        with gr.Row(equal_height=True):
            seed = seed_box("pyramid")
            run = gr.Button("New sample", elem_id="pyramid-run")
        gallery = gr.Gallery(
            label="Real · reconstruction · sample · added detail",
            columns=COLUMNS,
            format="png",
            object_fit="contain",
            elem_id="pyramid-gallery",
        )

    def explore(model, seed):
        return explore_pyramid(model, seed)

    shared.on_model(explore, [gallery], "pyramid_setup", [seed], heavy=True)
    shared.generate(run, explore, [seed], gallery, "pyramid")
