"""The Train tab: train on an upload while the page shows progress, loss curves and per-scale snapshots.

Training runs in the background (a child process on a CPU: singan_lite.background says
why); the handler is a generator over its events that yields an update at most every
`refresh_seconds` (and whenever a scale finishes), so a fast coarse scale does not
flood the browser. Stopping sets a threading.Event, which makes training keep the
finished scales; the model file is written after each one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go

from singan_lite import IterationEvent, ScaleEvent, TrainConfig, preset, to_uint8
from singan_lite.background import TrainingEnded, train_in_background
from singan_lite.estimate import MachineSpeed, describe_duration, estimate_on_machine, estimate_training_seconds
from singan_lite.training import pyramid_for
from singan_lite.viz import loss_curves

from ..models import ModelRegistry, SessionModels
from ..uploads import MAX_UPLOAD_SIDE, Notify, ignore, read_image
from .samples import Captioned


@dataclass(frozen=True)
class TrainingUpdate:
    """What the page shows at one moment; None means "unchanged since the last update"."""

    status: str
    fraction: float
    figure: go.Figure | None = None
    snapshots: list[Captioned] | None = None
    model_file: Path | None = None
    model_name: str | None = None
    session: SessionModels | None = None


class StopSwitches:
    """One stop switch per browser session, so a Stop press reaches the run its own page started."""

    def __init__(self) -> None:
        self._switches: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def arm(self, key: str) -> threading.Event:
        with self._lock:
            switch = self._switches[key] = threading.Event()
        return switch

    def press(self, key: str) -> bool:
        """Stop the session's run; False when it has none."""
        with self._lock:
            switch = self._switches.get(key)
        if switch is None:
            return False
        switch.set()
        return True

    def release(self, key: str, switch: threading.Event) -> None:
        with self._lock:
            if self._switches.get(key) is switch:
                del self._switches[key]


def training_config(
    preset_name: str,
    max_size: int,
    seed: int,
    iterations: int | None = None,
    sr_factor: float | None = None,
    min_size: int | None = None,
    coarsest_convs: int | None = None,
) -> TrainConfig:
    """The preset with the tab's settings; iterations, the SR factor and the coarsest scale's
    size and convolutions are optional (0 or None: the preset's).
    """
    overrides: dict[str, object] = {"max_size": int(max_size), "seed": int(seed)}
    if iterations:
        overrides["iterations"] = int(iterations)
    if min_size:
        overrides["min_size"] = int(min_size)
    if coarsest_convs:
        overrides["coarsest_convs"] = int(coarsest_convs)
    config = preset(preset_name, **overrides)
    return config.with_super_resolution(float(sr_factor)) if sr_factor else config


# The Train tab's Max size starts at the paper's 250 px where `fast` trains a 250x188 px image within
# the 300 s this project promises, by the estimate measured on this machine; elsewhere, and where
# the machine was too busy to measure, at 160 px. Why: docs/design.md#an-estimate-measured-on-the-machine
PAPER_SIDE, SMALLER_SIDE = 250, 160
FAST_PROMISE_SECONDS = 300.0


def default_training_side(speed: MachineSpeed | None) -> int:
    """The Max size the Train tab starts at on a machine of `speed` (None: not measured)."""
    if speed is None:
        return SMALLER_SIDE
    fast = preset("fast")
    seconds = estimate_training_seconds(fast, pyramid_for(fast, 188, PAPER_SIDE).sizes, speed=speed)
    return PAPER_SIDE if seconds <= FAST_PROMISE_SECONDS else SMALLER_SIDE


def training_estimate(image: str | Path | None, config: TrainConfig, speed: MachineSpeed | None = None) -> str:
    """What pressing Train would start, said before it starts: the pyramid, the iterations, about how long
    on a machine of `speed` (None, or a recipe the probes do not time: the estimate fitted for 2-core CPUs).

    The image is read as training will read it (the same size cap), so the pyramid is the one
    training builds; an image that cannot be trained gets the library's reason instead.
    """
    if image is None:
        return "Pick an image and press *Train*."
    try:
        height, width = read_image(image, MAX_UPLOAD_SIDE, ignore, "the training image").shape[-2:]
        sizes = pyramid_for(config, height, width).sizes
    except ValueError as error:  # ImageError too: a corrupt file, or a coarsest scale the image cannot have
        return f"Cannot train: {error}"
    iterations = config.total_iterations(len(sizes))
    seconds, measured = estimate_on_machine(config, sizes, speed)
    where = "on this machine's CPU" if measured else "on 2 CPU cores"
    return (
        f"*{config.preset}* at {sizes[-1][1]}×{sizes[-1][0]} px: {len(sizes)} scales, {iterations} iterations, "
        f"about **{describe_duration(seconds)}** {where}. Press *Train*."
    )


def _snapshots(event: ScaleEvent) -> list[Captioned]:
    label = f"scale {event.scale}"
    return [
        (to_uint8(event.real), f"{label}: real"),
        (to_uint8(event.reconstruction), f"{label}: reconstruction"),
        (to_uint8(event.sample), f"{label}: sample ({event.seconds:.0f} s)"),
    ]


# Each redraw of the loss figure costs the server time that training would use (building and
# serialising it grows with the run) and the browser a re-render: between finished scales
# it is redrawn at most this often. Why: docs/design.md#the-app
FIGURE_SECONDS = 10.0
# Points per loss curve in the live figure: a paper-preset run logs thousands of iterations per scale.
MAX_PLOTTED_POINTS = 1500


def _loss_figure(history: list[IterationEvent]) -> go.Figure:
    """The notebooks' loss figure, thinned and shorter panels for the page."""
    return loss_curves(history, panel_height=130, max_points=MAX_PLOTTED_POINTS)


def _model_label(image: str | Path, config: TrainConfig, ended: TrainingEnded) -> str:
    done = "" if ended.is_complete else f", {ended.trained_scales}/{ended.num_scales} scales"
    purpose = f" ×{config.sr_factor:g} SR" if config.sr_factor else ""
    return f"{Path(image).stem} ({config.preset}{purpose}{done})"


def train_model(
    image: str | Path | None,
    config: TrainConfig,
    *,
    registry: ModelRegistry,
    session: SessionModels | None,
    stop: threading.Event,
    notify: Notify = ignore,
    refresh_seconds: float = 1.0,
) -> Iterator[TrainingUpdate]:
    """Train, streaming updates; the last update carries the model file and its registered name."""
    picture = read_image(image, MAX_UPLOAD_SIDE, notify, "the training image")
    checkpoint = registry.model_folder() / f"{Path(str(image)).stem}-{config.preset}.safetensors"
    history: list[IterationEvent] = []
    snapshots: list[Captioned] = []
    done_iterations, total_iterations, last_shown, last_figure = 0, None, 0.0, 0.0
    yield TrainingUpdate("Starting the trainer…", 0.0)
    with closing(train_in_background(picture, config, checkpoint, stop, registry.device)) as events:
        for item in events:
            if isinstance(item, TrainingEnded):  # always the last item
                break
            if isinstance(item, IterationEvent):
                if total_iterations is None:
                    total_iterations = sum(config.iterations_at(s, item.num_scales) for s in range(item.num_scales))
                history.append(item)
                done_iterations += 1
                if time.monotonic() - last_shown < refresh_seconds:
                    continue
                status = f"Scale {item.scale + 1} of {item.num_scales}: iteration {item.iteration} of {item.iterations}"
                figure = None
                if time.monotonic() - last_figure >= FIGURE_SECONDS:
                    figure, last_figure = _loss_figure(history), time.monotonic()
                update = TrainingUpdate(status, done_iterations / total_iterations, figure)
            else:
                snapshots = _snapshots(item) + snapshots
                status = f"Scale {item.scale + 1} of {item.num_scales} finished in {item.seconds:.0f} s"
                update = TrainingUpdate(status, done_iterations / total_iterations, _loss_figure(history), snapshots)
            last_shown = time.monotonic()
            yield update
    ended = item
    if ended.trained_scales == 0:
        yield TrainingUpdate("Stopped before the first scale finished: there is no model to keep.", 0.0)
        return
    name, session = registry.add(session, checkpoint, _model_label(image, config, ended))
    verb = "Finished" if ended.is_complete else "Stopped; kept the finished scales"
    status = f"{verb}: '{name}' ({ended.trained_scales} of {ended.num_scales} scales) is now in the model list."
    fraction = 1.0 if ended.is_complete else done_iterations / total_iterations
    yield TrainingUpdate(status, fraction, _loss_figure(history), snapshots, checkpoint, name, session)
