"""The Train tab: train on an upload while the page shows progress, loss curves and per-scale snapshots."""

from __future__ import annotations

import gradio as gr

from singan_lite.speed_probe import machine_speed

from ..gpu import on_gpu
from ..handlers.train import default_training_side, training_estimate
from ..models import ROOT
from .shared import INSTANT, TRAIN, Shared, friendly
from .training import TrainingSettings, picker_after, stream_training, training_settings
from .widgets import image_upload

SAMPLE_IMAGES = [str(path) for path in sorted((ROOT / "assets" / "images").glob("*.png"))]


def build(shared: Shared) -> gr.Button:
    """The tab; returns its Stop button, which the page wires with the other tab's."""
    with gr.Tab("Train", id="train", elem_id="train-tab"), gr.Row():
        with gr.Column(scale=1):
            first = SAMPLE_IMAGES[0] if SAMPLE_IMAGES else None
            image = image_upload("Training image (any format)", "train", first)
            gr.Examples([[path] for path in SAMPLE_IMAGES], [image], label="Sample images")
            setting_inputs = training_settings(
                "train", coarsest_scale=True, start_size=default_training_side(machine_speed())
            )
            with gr.Row():
                run = gr.Button("Train", variant="primary", elem_id="train-run")
                stop = gr.Button("Stop", variant="stop", elem_id="train-stop")
        with gr.Column(scale=2):
            status = gr.Markdown("Pick an image and press *Train*.", label="Status", elem_id="train-status")
            plot = gr.Plot(label="Losses per scale", elem_id="train-plot")
            snapshots = gr.Gallery(
                label="Each scale: real, reconstruction, sample",
                columns=3,
                format="png",
                object_fit="contain",
                elem_id="train-snapshots",
            )
            model_file = gr.File(label="Model file", interactive=False, elem_id="train-model-file")

    def train_event(
        image,
        preset_name,
        max_size,
        seed,
        iterations,
        min_size,
        coarsest_convs,
        session,
        request: gr.Request,
        progress=gr.Progress(),  # noqa: B008
    ):
        settings = TrainingSettings(image, preset_name, max_size, seed, iterations, min_size, coarsest_convs)
        for update in stream_training(shared, settings, session, request, progress):
            figure = gr.skip() if update.figure is None else update.figure
            gallery = gr.skip() if update.snapshots is None else update.snapshots
            yield update.status, figure, gallery, *picker_after(shared, update)

    def estimate(image, preset_name, max_size, seed, iterations, min_size, coarsest_convs):
        settings = TrainingSettings(image, preset_name, max_size, seed, iterations, min_size, coarsest_convs)
        return training_estimate(image, settings.config(), machine_speed())

    # The estimate takes Train's own inputs, so it describes exactly the run a press would start.
    preset_name, max_size, _, iterations, min_size, coarsest_convs = setting_inputs
    gr.on(
        [
            shared.demo.load,
            image.change,
            preset_name.change,
            max_size.change,
            iterations.change,
            min_size.change,
            coarsest_convs.change,
        ],
        friendly(estimate),
        [image, *setting_inputs],
        status,
        api_name="train_estimate",
        **INSTANT,
    )
    run.click(
        on_gpu(friendly(train_event), duration=600),
        [image, *setting_inputs, shared.session],
        [status, plot, snapshots, model_file, shared.picker, shared.session],
        api_name="train",
        show_progress="minimal",
        **TRAIN,
    )
    return stop
