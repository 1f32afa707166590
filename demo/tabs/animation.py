"""The Animation tab: a looping random walk around the training image, played as a GIF, downloaded as GIF and MP4."""

from __future__ import annotations

import gradio as gr

from ..handlers.animation import MAX_FRAMES, make_animation
from ..handlers.samples import max_start_scale
from .shared import Shared
from .widgets import OUTPUT_HEIGHT, scale_choice, seed_box, stretch_sliders, variety_for, variety_slider

# Every frame costs a sample of the stretched size, and all of them are encoded twice (GIF, MP4).
MAX_STRETCH = 3.0


def build(shared: Shared) -> None:
    with gr.Tab("Animation", id="animation", elem_id="animation-tab"), gr.Row():
        with gr.Column(scale=1):
            beta = gr.Slider(0.5, 0.99, 0.9, step=0.01, label="Motion (β)", info="higher: smoother, wider moves")
            start = gr.Slider(0, 8, 0, step=1, label="Start scale", info="higher: only finer details move")
            stretch_h, stretch_v = stretch_sliders("animation", MAX_STRETCH)
            variety = variety_slider()
            frames = gr.Slider(10, MAX_FRAMES, 50, step=10, label="Frames", elem_id="animation-frames")
            fps = gr.Slider(2, 25, 10, step=1, label="Frames per second")
            seed = seed_box("animation")
            run = gr.Button("Animate", variant="primary", elem_id="animation-run")
        with gr.Column(scale=1):
            player = gr.Image(type="filepath", label="Animation", height=OUTPUT_HEIGHT, elem_id="animation-output")
            files = gr.File(
                label="Downloads (GIF, MP4)", file_count="multiple", interactive=False, elem_id="animation-files"
            )

    def setup(model):
        top = max_start_scale(model)
        return scale_choice(0, top, min(1, top)), variety_for(model)

    def animate(model, beta, start, stretch_h, stretch_v, frames, fps, seed, variety):
        gif, downloads = make_animation(
            model,
            beta,
            start,
            stretch_h,
            stretch_v,
            frames,
            fps,
            seed,
            shared.registry.output_folder(),
            notify=gr.Warning,
            variety=variety,
        )
        return str(gif), [str(path) for path in downloads]

    shared.on_model(setup, [start, variety], "animation_setup")
    shared.generate(
        run, animate, [beta, start, stretch_h, stretch_v, frames, fps, seed, variety], [player, files], "animate"
    )
