"""The two axes of sample quality in one figure: layout distance (new) against SIFID (real).

A copy of the training image has the best SIFID, so a recipe only beats the published
SinGAN samples where it is both further from the training image's layout and no worse on
SIFID: the shaded corner of each panel. Every recipe scored by `benchmarks.quality` is a
row of benchmarks/recipes.csv (the benchmark adds its own row); this script draws them all,
one panel per image set, since the published samples' scores differ between image sets. The
held-out photographs have no published samples: their panel compares recipes with each other.

    python -m benchmarks.pareto            # writes docs/pareto.svg and prints the table
"""

from __future__ import annotations

import argparse
import csv
import math
from dataclasses import dataclass, fields
from html import escape
from pathlib import Path

from .common import ROOT, markdown_table

RECIPES = Path(__file__).with_name("recipes.csv")
FIGURE = ROOT / "docs" / "pareto.svg"
PUBLISHED = "SinGAN (authors)"
COLOURS = {"published": "#222222", "fast": "#1f77b4", "quality": "#d95f02"}
PANEL_W, PANEL_H = 360, 300
# The legend's rows, and the width of one of its characters (font size 10, sans-serif, a bound).
LEGEND_ROW, LEGEND_CHAR = 12, 6
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 48, 12, 30, 40


@dataclass(frozen=True)
class Recipe:
    """One scored recipe on one image set: means over the images, as in its RESULTS section."""

    images: str
    recipe: str
    preset: str
    settings: str
    swd: float
    nn_realism: float
    sifid: float
    diversity: float | None
    layout: float
    section: str

    @classmethod
    def from_row(cls, row: dict[str, str]) -> Recipe:
        numbers = {"swd", "nn_realism", "sifid", "layout"}
        values = {name: float(row[name]) if name in numbers else row[name] for name in row}
        values["diversity"] = float(row["diversity"]) if row["diversity"] else None
        return cls(**values)


def read_recipes(path: Path = RECIPES) -> list[Recipe]:
    with path.open(newline="") as file:
        return [Recipe.from_row(row) for row in csv.DictReader(file)]


def record_recipe(recipe: Recipe, path: Path = RECIPES) -> None:
    """Add a recipe's row, or replace the row of the same recipe on the same images."""
    kept = [r for r in read_recipes(path) if (r.images, r.recipe) != (recipe.images, recipe.recipe)]
    with path.open("w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow([f.name for f in fields(Recipe)])
        for r in [*kept, recipe]:
            writer.writerow([_csv_cell(value) for value in vars(r).values()])


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else value


def beats_published(recipe: Recipe, published: Recipe) -> bool:
    """New and real at once: at least the published layout distance, at most their SIFID and SWD."""
    return recipe.layout >= published.layout and recipe.sifid <= published.sifid and recipe.swd <= published.swd


def _ticks(top: float) -> list[float]:
    """Round tick values from 0 to `top`: steps of 1, 2 or 5 times a power of ten, about five of them."""
    magnitude = 10 ** math.floor(math.log10(top / 5))
    step = next(magnitude * m for m in (1, 2, 5, 10) if top / (magnitude * m) <= 6)
    return [round(step * k, 10) for k in range(int(top / step) + 1)]


def held_out(images: str) -> bool:
    """The photographs that no recipe was tuned on (benchmarks.quality --image-set photos)."""
    return "photographs" in images


def _title(images: str) -> str:
    if held_out(images):
        return f"{images}, held out"
    return f"places10, {'all 10 images' if images == 'all 10' else 'images ' + images}"


def _legend_labels(recipes: list[Recipe]) -> list[str]:
    """A panel's legend: each recipe numbered as on the plot, ticked where it beats the published samples."""
    published = next((r for r in recipes if r.recipe == PUBLISHED), None)

    def wins(recipe: Recipe) -> bool:
        return published is not None and recipe.preset != "published" and beats_published(recipe, published)

    return [f"{number}. {r.recipe}" + (" ✓" if wins(r) else "") for number, r in enumerate(recipes, start=1)]


def _panel_height(recipes: list[Recipe]) -> float:
    """A panel's plot, or its legend where that is longer."""
    return max(PANEL_H, MARGIN_T + LEGEND_ROW * len(recipes))


def _panel(recipes: list[Recipe], labels: list[str], title: str, top: float) -> list[str]:
    published = next((r for r in recipes if r.recipe == PUBLISHED), None)
    x_max = max(r.layout for r in recipes) * 1.1
    y_max = max(r.sifid for r in recipes) * 1.1
    plot_w, plot_h = PANEL_W - MARGIN_L - MARGIN_R, PANEL_H - MARGIN_T - MARGIN_B

    def x(value: float) -> float:
        return MARGIN_L + value / x_max * plot_w

    def y(value: float) -> float:
        return top + MARGIN_T + plot_h - value / y_max * plot_h

    parts = [
        f'<text x="{PANEL_W / 2}" y="{top + 18}" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(x_max)}" y2="{y(0)}" stroke="black"/>',
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(0)}" y2="{y(y_max)}" stroke="black"/>',
        f'<text x="{x(x_max / 2)}" y="{top + PANEL_H - 6}" text-anchor="middle">layout distance (new) →</text>',
        f'<text transform="translate(12,{y(y_max / 2)}) rotate(-90)" text-anchor="middle">'
        "SIFID (lower is more real)</text>",
    ]
    if published is not None:
        # The corner that is better than the published samples on both axes.
        parts += [
            f'<rect x="{x(published.layout)}" y="{y(published.sifid)}" width="{x(x_max) - x(published.layout)}" '
            f'height="{y(0) - y(published.sifid)}" fill="#2ca02c" fill-opacity="0.12"/>',
            f'<text x="{x(x_max) - 4}" y="{y(0) - 6}" text-anchor="end" font-size="10" fill="#2ca02c">'
            "better than the published samples on both</text>",
        ]
    for value in _ticks(x_max):
        parts.append(f'<text x="{x(value)}" y="{y(0) + 14}" text-anchor="middle" font-size="10">{value:g}</text>')
    for value in _ticks(y_max):
        parts.append(f'<text x="{x(0) - 4}" y="{y(value) + 3}" text-anchor="end" font-size="10">{value:g}</text>')
    for number, r in enumerate(recipes, start=1):
        colour = COLOURS.get(r.preset, "#7f7f7f")
        cx, cy = x(r.layout), y(r.sifid)
        shape = (
            f'<rect x="{cx - 5}" y="{cy - 5}" width="10" height="10" fill="{colour}"/>'
            if r.preset == "published"
            else f'<circle cx="{cx}" cy="{cy}" r="4.5" fill="{colour}"/>'
        )
        parts.append(f'{shape}<text x="{cx + 6}" y="{cy - 4}" font-size="10">{number}</text>')
    for row, (r, label) in enumerate(zip(recipes, labels, strict=True)):
        colour = COLOURS.get(r.preset, "#7f7f7f")
        line = top + MARGIN_T + LEGEND_ROW * row
        parts.append(f'<text x="{PANEL_W + 4}" y="{line}" font-size="10" fill="{colour}">{escape(label)}</text>')
    return parts


def draw(recipes: list[Recipe], path: Path = FIGURE) -> Path:
    """One panel per image set, one above the other, each with its legend on the right: x layout
    distance, y SIFID, the published samples as squares. The legend is as wide as its longest
    recipe name, so no name runs into a plot.
    """
    panels = [[r for r in recipes if r.images == images] for images in dict.fromkeys(r.images for r in recipes)]
    legends = [_legend_labels(chosen) for chosen in panels]
    longest = max(len(label) for labels in legends for label in labels)
    width = PANEL_W + 8 + LEGEND_CHAR * longest
    height = sum(_panel_height(chosen) for chosen in panels)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    top = 0.0
    for chosen, labels in zip(panels, legends, strict=True):
        parts += _panel(chosen, labels, _title(chosen[0].images), top)
        top += _panel_height(chosen)
    parts.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n")
    return path


def table(recipes: list[Recipe]) -> str:
    """Every recipe with both axes side by side, and whether it beats the published samples on both
    (n/a on the held-out photographs, which have none).
    """
    rows = []
    for r in recipes:
        published = next((p for p in recipes if p.images == r.images and p.recipe == PUBLISHED), None)
        if r.preset == "published":
            verdict = ""
        elif published is None:
            verdict = "n/a"
        else:
            verdict = "yes" if beats_published(r, published) else "no"
        rows.append([r.images, r.recipe, r.swd, r.nn_realism, r.sifid, r.diversity or "", r.layout, verdict])
    header = ["images", "recipe", "swd", "nn_realism", "sifid", "diversity", "layout", "beats published"]
    return markdown_table(header, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIGURE)
    args = parser.parse_args(argv)
    recipes = read_recipes()
    print(f"wrote {draw(recipes, args.out)}\n")
    print(table(recipes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
