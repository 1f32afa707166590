"""The app in a real browser: Playwright drives Debian's Chromium (headless) through every tab.

Any JavaScript error on the page fails the test that caused it. With SINGAN_SCREENSHOTS
set to a folder, one more test runs the app on the shipped models (assets/models) and
saves each tab there as a PNG once its results show
(`SINGAN_SCREENSHOTS=docs/screenshots python -m pytest tests/demo/test_browser.py`).
"""

import os
import shutil
from pathlib import Path

import pytest

from demo.models import ModelRegistry, describe
from demo.ui import build_demo, launch_options

from ..conftest import ASSETS

CHROMIUM = shutil.which("chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")

SCREENSHOTS = Path(os.environ["SINGAN_SCREENSHOTS"]) if os.environ.get("SINGAN_SCREENSHOTS") else None
# Generous: the machine may be shared with other work.
WAIT_MS = 90_000
# Training starts a child process that imports PyTorch: on a loaded machine OpenMP's thread
# teams stall each other, and even the tiny training run can take minutes.
TRAINING_WAIT_MS = 300_000
# Which shipped model each screenshot shows (one with a matching example input, where there is one).
SHOWCASE = {
    "samples": "mountains",
    "paint": "mountains",
    "edit": "mountains",
    "harmonize": "clouds",
    "superres": "rocks_sr",
    "animation": "mountains",
    "pyramid": "mountains",
}


def _serve(registry: ModelRegistry):
    demo = build_demo(registry)
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, **launch_options())
    return demo, url


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, tiny_model_path):
    """The app on the tiny model, named `mountains` so that the mountains example inputs apply."""
    shipped = tmp_path_factory.mktemp("shipped")
    shutil.copyfile(tiny_model_path, shipped / "mountains.safetensors")
    demo, url = _serve(ModelRegistry(shipped, device="cpu"))
    yield url
    demo.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page_errors() -> list[str]:
    return []


@pytest.fixture(scope="module")
def page(browser, app_url, page_errors):
    """One page for the whole module, as a visitor would use it: tab after tab."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.set_default_timeout(WAIT_MS)
    page.goto(app_url)
    page.wait_for_selector("gradio-app")
    yield page
    page.close()


@pytest.fixture(autouse=True)
def no_page_errors(page_errors):
    yield
    assert page_errors == [], f"JavaScript errors on the page: {page_errors}"


def _open(page, tab: str) -> None:
    page.get_by_role("tab", name=tab, exact=True).click()


def _status(page, elem_id: str):
    """A Markdown status's own text, not the progress overlay over it, which shows the same words for a moment."""
    return page.locator(f"#{elem_id} [data-testid=markdown]")


def _wait_for_training(page, status_id: str) -> None:
    _status(page, status_id).get_by_text("is now in the model list").wait_for(timeout=TRAINING_WAIT_MS)


def _set_number(page, elem_id: str, value: int | float) -> None:
    """Type into a number box, or into a slider's number box, and commit it as a visitor would."""
    box = page.locator(f"#{elem_id} input[type=number]").first
    box.fill(str(value))
    box.press("Enter")
    box.blur()


def _paint_stroke(page, editor_id: str) -> None:
    """Pick the brush and drag it across the middle of the canvas."""
    editor = page.locator(f"#{editor_id}")
    editor.locator("canvas").first.wait_for()
    editor.get_by_role("button", name="Brush", exact=True).click()
    box = editor.locator("canvas").first.bounding_box()
    x, y = box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.5
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + step * box["width"] * 0.03, y + step * 2)
    page.mouse.up()


def _images(page, elem_id: str, at_least: int = 1):
    """Wait until the component shows `at_least` loaded images; return them."""
    locator = page.locator(f"#{elem_id} img")
    page.wait_for_function(
        "([selector, count]) => [...document.querySelectorAll(selector)]"
        ".filter(img => img.complete && img.naturalWidth > 0).length >= count",
        arg=[f"#{elem_id} img", at_least],
    )
    return locator


def _choose_model(page, name: str) -> None:
    page.locator("#model-picker input").click()
    page.get_by_role("option", name=name, exact=True).click()


def test_samples_show_at_once_and_regenerate(page):
    _images(page, "samples-gallery", 4)
    _set_number(page, "samples-seed", 5)
    page.locator("#samples-run").click()
    page.locator("#samples-gallery").get_by_text("seed 5 · #1").first.wait_for()
    _images(page, "samples-gallery", 4)


def test_paint_a_stroke_and_turn_it_into_an_image(page):
    _open(page, "Paint-to-image")
    _paint_stroke(page, "paint-editor")
    page.locator("#paint-run").click()
    _images(page, "paint-output")


@pytest.mark.parametrize(("tab", "task"), [("Editing", "edit"), ("Harmonization", "harmonize")])
def test_mark_a_region_with_the_brush_and_blend(page, tab, task):
    _open(page, tab)
    if task == "edit":
        _images(page, "edit-mask")  # the example's mask, shipped for the mountains model
    _paint_stroke(page, f"{task}-editor")
    page.locator(f"#{task}-run").click()
    _images(page, f"{task}-slider", 2)
    _images(page, f"{task}-extras", 2)


def test_animation_plays(page):
    _open(page, "Animation")
    _set_number(page, "animation-frames", 10)
    page.locator("#animation-run").click()
    player = _images(page, "animation-output")
    assert ".gif" in player.first.get_attribute("src")
    page.locator('#animation-files a[download="animation.mp4"]').wait_for()


def test_pyramid_explorer_shows_every_scale(page):
    _open(page, "Pyramid explorer")
    tiles = _images(page, "pyramid-gallery", 8)
    assert tiles.count() % 4 == 0


def test_train_a_super_resolution_model_and_upscale(page):
    _open(page, "Super-resolution")
    page.locator("#superres-image input[type=file]").set_input_files(ASSETS / "images" / "mountains.png")
    page.get_by_text("Train a super-resolution model for your image").click()
    _set_number(page, "superres-factor", 2)
    _set_number(page, "superres-max-size", 40)
    page.locator("#superres-tab").get_by_text("Advanced").click()
    _set_number(page, "superres-iterations", 2)
    page.locator("#superres-train").click()
    _wait_for_training(page, "superres-status")
    page.locator("#superres-info").get_by_text("×2").wait_for()
    page.locator("#superres-run").click()
    _images(page, "superres-slider", 2)


def test_train_streams_losses_and_snapshots(page):
    _open(page, "Train")
    _set_number(page, "train-max-size", 40)
    page.locator("#train-tab").get_by_text("Advanced").click()
    _set_number(page, "train-iterations", 3)
    page.locator("#train-run").click()
    _wait_for_training(page, "train-status")
    page.locator("#train-plot .js-plotly-plot").wait_for()
    _images(page, "train-snapshots", 3)
    page.locator('#train-model-file a[download$=".safetensors"]').wait_for()
    assert "(fast)" in page.locator("#model-picker input").input_value()


@pytest.mark.skipif(SCREENSHOTS is None, reason="set SINGAN_SCREENSHOTS to a folder to save a screenshot of each tab")
def test_screenshot_every_tab(browser):
    """Not a check but a tool: the pictures in docs/, each tab showing a result on a fitting shipped model."""
    registry = ModelRegistry(device="cpu")
    if not registry.shipped:
        pytest.skip("assets/models/ has no models to show")
    demo, url = _serve(registry)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(WAIT_MS)
    page.goto(url)

    def show(name: str, tab: str, run: str | None, result: str, count: int = 1) -> None:
        wanted = SHOWCASE.get(name)
        if wanted is not None and wanted not in registry.shipped:
            return
        _open(page, tab)
        if wanted is not None and page.locator("#model-picker input").input_value() != wanted:
            _choose_model(page, wanted)
            model = registry.load(wanted)
            page.locator("#model-info").get_by_text(describe(model)).wait_for()
            if name in ("paint", "edit", "harmonize"):  # its slider range shows the tab caught up
                page.wait_for_function(
                    "([selector, top]) => document.querySelector(selector).max === top",
                    arg=[f"#{name}-scale input[type=number]", str(model.trained_scales - 1)],
                )
            page.wait_for_timeout(2000)
        if run is not None:
            page.locator(f"#{run}").click()
        _images(page, result, count)
        page.wait_for_timeout(1000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    show("samples", "Samples", None, "samples-gallery", 4)
    show("paint", "Paint-to-image", "paint-run", "paint-output")
    show("edit", "Editing", "edit-run", "edit-slider", 2)
    show("harmonize", "Harmonization", "harmonize-run", "harmonize-slider", 2)
    show("superres", "Super-resolution", "superres-run", "superres-slider", 2)
    _open(page, "Animation")
    _set_number(page, "animation-frames", 30)
    show("animation", "Animation", "animation-run", "animation-output")
    show("pyramid", "Pyramid explorer", None, "pyramid-gallery", 8)
    _open(page, "Train")
    _set_number(page, "train-max-size", 120)
    page.locator("#train-tab").get_by_text("Advanced").click()
    _set_number(page, "train-iterations", 40)
    page.locator("#train-run").click()
    _status(page, "train-status").get_by_text("is now in the model list").wait_for(timeout=15 * 60_000)
    show("train", "Train", None, "train-snapshots", 3)
    page.close()
    demo.close()
