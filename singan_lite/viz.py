"""Plotly figures of images and training curves, for the notebooks and any other front end.

These functions only build figures: nothing is shown, saved or fetched from the network,
so the caller chooses how to render them (JupyterLab draws them offline through the
extension that ships inside the plotly package).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Iterable, Sequence

import plotly.graph_objects as go
import torch
from PIL import Image
from plotly.subplots import make_subplots

from .imaging import to_uint8
from .training import IterationEvent, TrainingEvent

# The loss figure, panel by panel: axis title, the loss keys drawn in it (with their legend
# labels), and whether the panel needs a log axis (losses that shrink by decades).
_LOSS_PANELS: tuple[tuple[str, dict[str, str], bool], ...] = (
    ("critic score", {"d_real": "critic on real patches", "d_fake": "critic on generated patches"}, False),
    ("gradient penalty", {"gradient_penalty": "gradient penalty"}, True),
    ("adversarial", {"g_adversarial": "generator adversarial loss"}, False),
    ("reconstruction", {"reconstruction": "reconstruction MSE"}, True),
)


def png_data_uri(image: torch.Tensor) -> str:
    """A PNG data URI: a figure with dozens of images stays small, where raw pixel arrays run to tens of MB."""
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(image)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image_grid(
    images: torch.Tensor | Sequence[torch.Tensor],
    titles: Sequence[str] | None = None,
    columns: int = 4,
    same_scale: bool = False,
    cell_height: int = 220,
) -> go.Figure:
    """Images in [-1, 1] (a batch or a list of any sizes) in a grid of subplots with square pixels.

    With `same_scale`, every cell spans the largest image's pixels, so the coarse scales of
    a pyramid look as small as they are; without it each image fills its cell, which is
    how the network working at that size sees it. Axes stay in pixel coordinates, so
    callers can draw shapes (a patch, a crop) on a cell with `row=` and `col=`.
    """
    images = list(images.split(1)) if isinstance(images, torch.Tensor) else list(images)
    if not images:
        raise ValueError("image_grid needs at least one image.")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images.")
    columns = max(1, min(columns, len(images)))
    rows = math.ceil(len(images) / columns)
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=list(titles) if titles is not None else None,
        horizontal_spacing=0.02,
        vertical_spacing=0.3 / rows if titles is not None else 0.02,
    )
    tallest = max(image.shape[-2] for image in images)
    widest = max(image.shape[-1] for image in images)
    for index, image in enumerate(images):
        row, column = index // columns + 1, index % columns + 1
        figure.add_trace(go.Image(source=png_data_uri(image), name=titles[index] if titles else None), row, column)
        trace = figure.data[-1]
        # Square pixels in every cell: each y axis is tied to its own cell's x axis.
        figure.layout["yaxis" + trace.yaxis[1:]].scaleanchor = trace.xaxis
        if same_scale:
            figure.update_xaxes(range=[-0.5, widest - 0.5], row=row, col=column)
            figure.update_yaxes(range=[tallest - 0.5, -0.5], row=row, col=column)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    figure.update_layout(height=rows * cell_height + 40, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


def _scale_spans(events: Sequence[IterationEvent]) -> list[tuple[int, int, int]]:
    """(scale, first step, last step) for each run of consecutive events at one scale; steps count from 1."""
    spans: list[tuple[int, int, int]] = []
    for step, event in enumerate(events, start=1):
        if spans and spans[-1][0] == event.scale:
            spans[-1] = (event.scale, spans[-1][1], step)
        else:
            spans.append((event.scale, step, step))
    return spans


def loss_curves(events: Iterable[TrainingEvent], panel_height: int = 190, max_points: int | None = None) -> go.Figure:
    """Every training loss against the iteration count of the whole run, scales shaded in turn.

    One x axis for the run (not one per scale) shows what happens when a scale starts:
    a new critic, and a reconstruction loss that jumps because a finer image must be
    matched. Accepts every event `train` reports and keeps the iteration ones, so a
    callback can simply append all events to a list. `max_points` thins every curve
    evenly (keeping the last point), so a figure redrawn live during a paper-preset run
    (tens of thousands of iterations) stays light in the browser.
    """
    iterations = [event for event in events if isinstance(event, IterationEvent)]
    if not iterations:
        raise ValueError("no iteration events: pass the events collected with train(..., on_event=events.append).")
    every = 1 if max_points is None else max(1, math.ceil(len(iterations) / max_points))
    shown = sorted({*range(0, len(iterations), every), len(iterations) - 1})
    steps = [index + 1 for index in shown]
    figure = make_subplots(
        rows=len(_LOSS_PANELS),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
    )
    for row, (title, labels, logarithmic) in enumerate(_LOSS_PANELS, start=1):
        for key, label in labels.items():
            values = [iterations[index].losses[key] for index in shown]
            figure.add_trace(go.Scatter(x=steps, y=values, name=label, mode="lines", line_width=1), row, 1)
        figure.update_yaxes(title_text=title, row=row, col=1)
        if logarithmic:
            figure.update_yaxes(type="log", dtick="D2", row=row, col=1)
    # Shapes and labels go in with one layout update: plotly validates the whole list on
    # every add_vrect or add_annotation, so adding them one by one makes a live figure of
    # a whole run slow to rebuild at every redraw (docs/design.md#the-app).
    spans = _scale_spans(iterations)
    figure.update_layout(
        shapes=[
            {
                "type": "rect",
                "xref": f"x{axis}",
                "yref": f"y{axis} domain",
                "x0": first - 0.5,
                "x1": last + 0.5,
                "y0": 0,
                "y1": 1,
                "fillcolor": "grey",
                "opacity": 0.12,
                "line_width": 0,
            }
            for scale, first, last in spans
            if scale % 2
            for axis in ["", *range(2, len(_LOSS_PANELS) + 1)]
        ],
        annotations=[
            *figure.layout.annotations,
            *(
                {
                    "x": (first + last) / 2,
                    "y": 1.0,
                    "yref": "y domain",
                    "text": f"scale {scale}",
                    "showarrow": False,
                    "yanchor": "bottom",
                    "font_size": 10,
                }
                for scale, first, last in spans
            ),
        ],
    )
    figure.update_xaxes(title_text="iteration (all scales, coarsest first)", row=len(_LOSS_PANELS), col=1)
    figure.update_layout(
        height=len(_LOSS_PANELS) * panel_height + 80,
        margin={"l": 70, "r": 10, "t": 90, "b": 40},
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "top", "yref": "container"},
    )
    return figure
