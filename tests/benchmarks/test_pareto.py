import dataclasses
import xml.etree.ElementTree as ElementTree

from benchmarks.pareto import (
    PUBLISHED,
    RECIPES,
    Recipe,
    beats_published,
    draw,
    held_out,
    read_recipes,
    record_recipe,
    table,
)


def _recipe(name: str, layout: float, sifid: float, swd: float = 0.01, images: str = "1 2") -> Recipe:
    preset = "published" if name == PUBLISHED else "fast"
    return Recipe(images, name, preset, "", swd, 0.08, sifid, None if preset == "published" else 0.3, layout, "s")


def test_every_places10_image_set_in_the_record_has_the_published_samples_to_compare_with():
    recipes = read_recipes(RECIPES)
    for images in {r.images for r in recipes if not held_out(r.images)}:
        assert any(r.images == images and r.recipe == PUBLISHED for r in recipes), images


def test_a_recipe_beats_the_published_samples_only_when_it_is_newer_and_no_less_real():
    published = _recipe(PUBLISHED, layout=0.15, sifid=5.0)
    assert beats_published(_recipe("new and real", layout=0.16, sifid=4.9), published)
    # A copy of the training image: the best SIFID, but the layout of the training image.
    assert not beats_published(_recipe("copy", layout=0.02, sifid=1.0), published)
    assert not beats_published(_recipe("new but worse", layout=0.2, sifid=5.5), published)
    assert not beats_published(_recipe("worse patches", layout=0.2, sifid=4.0, swd=0.05), published)


def test_recording_a_recipe_again_replaces_its_row_on_the_same_images_only(tmp_path):
    path = tmp_path / "recipes.csv"
    path.write_text(RECIPES.read_text().splitlines()[0] + "\n")
    first = _recipe("try", layout=0.1, sifid=6.0)
    record_recipe(first, path)
    record_recipe(dataclasses.replace(first, images="3 4"), path)
    record_recipe(dataclasses.replace(first, sifid=5.5), path)
    rows = read_recipes(path)
    assert [(r.images, r.sifid) for r in rows] == [("3 4", 6.0), ("1 2", 5.5)]


def test_the_figure_has_one_panel_per_image_set_and_the_table_gives_a_verdict(tmp_path):
    recipes = [
        _recipe(PUBLISHED, 0.15, 5.0),
        _recipe("winner", 0.2, 4.0),
        _recipe(PUBLISHED, 0.13, 4.9, images="all 10"),
        _recipe("loser", 0.05, 4.0, images="all 10"),
    ]
    svg = ElementTree.parse(draw(recipes, tmp_path / "pareto.svg")).getroot()
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "places10, images 1 2" in texts and "places10, all 10 images" in texts
    assert "2. winner ✓" in texts and "2. loser" in texts
    verdicts = [line.split("|")[-2].strip() for line in table(recipes).splitlines()[2:]]
    assert verdicts == ["", "yes", "", "no"]


def test_held_out_photographs_get_a_panel_of_their_own_without_a_verdict(tmp_path):
    recipes = [
        _recipe(PUBLISHED, 0.15, 5.0),
        _recipe("tuned", 0.2, 4.0),
        _recipe("tuned", 0.12, 9.0, images="4 photographs"),
        _recipe("other", 0.18, 7.0, images="4 photographs"),
    ]
    svg = ElementTree.parse(draw(recipes, tmp_path / "pareto.svg")).getroot()
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "4 photographs, held out" in texts
    # The published samples' corner is drawn once: in the places10 panel only.
    assert texts.count("better than the published samples on both") == 1
    assert "1. tuned" in texts and "2. other" in texts and "2. tuned ✓" in texts
    verdicts = [line.split("|")[-2].strip() for line in table(recipes).splitlines()[2:]]
    assert verdicts == ["", "yes", "n/a", "n/a"]


def test_panels_stack_and_every_legend_line_fits_inside_the_figure(tmp_path):
    long_name = "a recipe with a long name, " * 3
    recipes = [_recipe(PUBLISHED, 0.15, 5.0)] + [_recipe(f"{long_name}{n}", 0.1, 6.0) for n in range(30)]
    recipes += [_recipe(PUBLISHED, 0.13, 4.9, images="all 10"), _recipe("short", 0.2, 4.0, images="all 10")]
    svg = ElementTree.parse(draw(recipes, tmp_path / "pareto.svg")).getroot()
    width, height = float(svg.get("width")), float(svg.get("height"))
    texts = list(svg.iter("{http://www.w3.org/2000/svg}text"))
    legend = [t for t in texts if t.text and t.text.startswith(("1. ", "31. "))]
    assert max(float(t.get("y")) for t in legend) < height
    assert all(float(t.get("x")) + 5 * len(t.text) < width for t in legend)
    titles = {t.text: float(t.get("y")) for t in texts if t.text and t.text.startswith("places10")}
    # The second panel starts below the first one's 31-line legend.
    assert titles["places10, all 10 images"] > 12 * 31
