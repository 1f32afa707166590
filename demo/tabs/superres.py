"""The Super-resolution tab: upscale with a model trained for it, or train one for the visitor's image."""

from __future__ import annotations

import gradio as gr

from ..gpu import on_gpu
from ..handlers import superres
from ..handlers.train import SMALLER_SIDE
from .shared import TRAIN, Shared, friendly
from .training import TrainingSettings, picker_after, stream_training, training_settings
from .widgets import image_upload, seed_box


def build(shared: Shared) -> gr.Button:
    """The tab; returns its Stop button, which the page wires with the other tab's."""
    with gr.Tab("Super-resolution", id="superres", elem_id="superres-tab"), gr.Row():
        with gr.Column(scale=1):
            about = gr.Markdown(label="About the model", elem_id="superres-info")
            image = image_upload("Image to upscale (empty: the model's own image)", "superres")
            seed = seed_box("superres")
            run = gr.Button("Upscale", variant="primary", elem_id="superres-run")
            with gr.Accordion("Train a super-resolution model for your image", open=False):
                factor = gr.Slider(2, 8, 4, step=0.5, label="Factor", elem_id="superres-factor")
                # Super-resolution trains more scales than `fast`, so its size starts small everywhere.
                setting_inputs = training_settings("superres", coarsest_scale=False, start_size=SMALLER_SIDE)
                with gr.Row():
                    train_run = gr.Button("Train", elem_id="superres-train")
                    stop = gr.Button("Stop", variant="stop")
                status = gr.Markdown(label="Status", elem_id="superres-status")
                model_file = gr.File(label="Model file", interactive=False)
        with gr.Column(scale=1):
            before_after = gr.ImageSlider(label="Bicubic / SinGAN", format="png", elem_id="superres-slider")
            download = gr.File(label="Upscaled PNG, full size", interactive=False, elem_id="superres-file")

    def setup(model):
        factor = model.config.sr_factor
        if factor:
            return f"This model upscales **×{factor:g}**."
        return (
            "This model was not trained for super-resolution. Pick one that was, or train one for your image "
            "below: SinGAN learns the detail of an image from the image itself."
        )

    def upscale(model, image, seed):
        pair, path = superres.upscale(model, image, seed, shared.registry.output_folder(), notify=gr.Warning)
        return pair, str(path)

    def train_event(
        image,
        factor,
        preset_name,
        max_size,
        seed,
        iterations,
        session,
        request: gr.Request,
        progress=gr.Progress(),  # noqa: B008
    ):
        settings = TrainingSettings(
            image=image, preset_name=preset_name, max_size=max_size, seed=seed, iterations=iterations, sr_factor=factor
        )
        for update in stream_training(shared, settings, session, request, progress):
            yield update.status, *picker_after(shared, update)

    shared.on_model(setup, [about], "superres_setup")
    shared.generate(run, upscale, [image, seed], [before_after, download], "upscale")
    train_run.click(
        on_gpu(friendly(train_event), duration=600),
        [image, factor, *setting_inputs, shared.session],
        [status, model_file, shared.picker, shared.session],
        api_name="train_superres",
        show_progress="minimal",
        **TRAIN,
    )
    return stop
