"""Loss curves for the Train tab: one colour per scale, so a visitor sees each scale settle."""

from __future__ import annotations

from dataclasses import dataclass, field

import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from singan_lite import IterationEvent

# Beyond this many points per curve the plot is thinned: paper-preset runs log 18,000 iterations.
MAX_POINTS_PER_SCALE = 400


@dataclass
class LossHistory:
    """Per scale: (iteration count over the whole run, Wasserstein estimate, reconstruction loss)."""

    scales: dict[int, list[tuple[int, float, float]]] = field(default_factory=dict)
    count: int = 0

    def add(self, event: IterationEvent) -> None:
        self.count += 1
        wasserstein = event.losses["d_real"] - event.losses["d_fake"]
        self.scales.setdefault(event.scale, []).append((self.count, wasserstein, event.losses["reconstruction"]))


def loss_figure(history: LossHistory) -> go.Figure:
    """Critic's Wasserstein estimate and reconstruction loss against iterations, a trace per scale."""
    figure = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("critic: D(real) − D(fake)", "reconstruction loss (MSE)"),
        horizontal_spacing=0.1,
    )
    for scale, points in history.scales.items():
        step = max(1, len(points) // MAX_POINTS_PER_SCALE)
        shown = points[::step]
        iterations = [point[0] for point in shown]
        colour = qualitative.Plotly[scale % len(qualitative.Plotly)]
        for column, values in ((1, [point[1] for point in shown]), (2, [point[2] for point in shown])):
            figure.add_trace(
                go.Scatter(
                    x=iterations,
                    y=values,
                    mode="lines",
                    name=f"scale {scale}",
                    legendgroup=f"scale {scale}",
                    showlegend=column == 1,
                    line={"color": colour, "width": 1.5},
                ),
                row=1,
                col=column,
            )
    figure.update_yaxes(type="log", row=1, col=2)
    figure.update_xaxes(title_text="iteration")
    figure.update_layout(height=340, margin={"l": 40, "r": 10, "t": 40, "b": 40}, template="plotly_white")
    return figure
