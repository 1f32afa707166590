"""What the Train and Super-resolution tabs share: the settings, the run, and the Stop buttons."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import gradio as gr

from singan_lite import TrainConfig
from singan_lite.config import preset_values
from singan_lite.networks import NUM_CONVS

from ..handlers.train import TrainingUpdate, train_model, training_config
from .shared import INSTANT, Shared

# The largest finest scale the app trains: fast and quality train the fine scales on windows (96 and
# 256 px), so a step costs the same at 1024 px as at 250 and only the number of scales grows; the
# Train tab shows the estimated time before it starts. Why: docs/design.md#training-on-windows
MAX_TRAINING_SIDE = 1024


@dataclass(frozen=True)
class TrainingSettings:
    """A press of a Train button: the image and the tab's settings (0 or None: the preset's).

    The fields up to coarsest_convs come in the order the Train tab sends its inputs, so its
    events build one straight from them.
    """

    image: str | None
    preset_name: str
    max_size: int
    seed: int
    iterations: int | None
    min_size: int | None = None
    coarsest_convs: int | None = None
    sr_factor: float | None = None

    def config(self) -> TrainConfig:
        return training_config(
            self.preset_name,
            max_size=self.max_size,
            seed=self.seed,
            iterations=self.iterations,
            sr_factor=self.sr_factor,
            min_size=self.min_size,
            coarsest_convs=self.coarsest_convs,
        )


def training_settings(name: str, coarsest_scale: bool, start_size: int) -> list[gr.components.Component]:
    """Preset, size (starting at `start_size`), and under Advanced the seed, iterations and
    (`coarsest_scale`) the coarsest scale's size and its generator's convolutions.

    Super-resolution sets its own coarsest scale, so its tab leaves those out.
    """
    preset_name = gr.Radio(
        ["fast", "quality", "paper"],
        value="fast",
        label="Preset",
        info="for 250 px on 2 CPU cores: fast 2.5 to 6 minutes, quality 9 to 15 (new layouts), about twice that on "
        "CPUs without bf16; paper hours",
    )
    max_size = gr.Slider(
        40,
        MAX_TRAINING_SIDE,
        start_size,
        step=2,  # 250, the paper's size, and 1024 both on the scale
        label="Max size (px)",
        info="the finest scale's long side",
        elem_id=f"{name}-max-size",
    )
    with gr.Accordion("Advanced", open=False):
        seed = gr.Number(0, label="Seed", precision=0, minimum=0)
        iterations = gr.Number(
            0, label="Iterations per scale (0: the preset's)", precision=0, minimum=0, elem_id=f"{name}-iterations"
        )
        settings = [preset_name, max_size, seed, iterations]
        if coarsest_scale:
            settings.extend(
                (
                    gr.Number(
                        0,
                        label=f"Coarsest scale, short side in px (0: the preset's: {preset_values('min_size')})",
                        info="larger: samples rearrange the scene more freely; smaller: they keep its layout",
                        precision=0,
                        minimum=0,
                        elem_id=f"{name}-min-size",
                    ),
                    # 0 is the preset's own, as in the fields above, so that a preset's recipe
                    # is what Train runs unless the user picks another depth.
                    gr.Dropdown(
                        [("the preset's", 0), *((str(convs), convs) for convs in range(2, NUM_CONVS + 1))],
                        value=0,
                        label="Convolutions in the coarsest generator "
                        f"(the preset's: {preset_values('coarsest_convs')})",
                        info="fewer: a smaller window, so samples lay the scene out anew, at some cost in texture; "
                        f"sample a model with fewer than {NUM_CONVS} at a variety of 1 or more",
                        elem_id=f"{name}-coarsest-convs",
                    ),
                )
            )
    return settings


def stream_training(
    shared: Shared, settings: TrainingSettings, session: dict, request: gr.Request, progress: gr.Progress
) -> Iterator[TrainingUpdate]:
    """Training with this browser session's stop switch, the progress bar, and notices as warnings."""
    config = settings.config()
    switch = shared.stops.arm(request.session_hash)
    try:
        for update in train_model(
            settings.image, config, registry=shared.registry, session=session, stop=switch, notify=gr.Warning
        ):
            progress(update.fraction, desc=update.status)
            yield update
    finally:
        shared.stops.release(request.session_hash, switch)


def picker_after(shared: Shared, update: TrainingUpdate) -> tuple:
    """The model file, picker and session after training: the new model selected, or all unchanged."""
    if update.model_name is None:
        return gr.skip(), gr.skip(), gr.skip()
    choices = gr.update(choices=shared.registry.names(update.session), value=update.model_name)
    return str(update.model_file), choices, update.session


def wire_stop(shared: Shared, buttons: list[gr.Button]) -> None:
    """Every Stop button stops the run of its own browser session, whichever tab started it."""

    def stop_training(request: gr.Request) -> None:
        if shared.stops.press(request.session_hash):
            gr.Info("Stopping after this iteration; the finished scales are kept.")

    gr.on([button.click for button in buttons], stop_training, None, None, api_name="stop_training", **INSTANT)
