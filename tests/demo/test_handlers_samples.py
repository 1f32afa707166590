"""The Samples tab's handler, called directly on the tiny model."""

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from demo.handlers import samples
from demo.tabs.shared import friendly
from singan_lite import to_uint8
from singan_lite.memory import OutputSizeError


def test_samples_are_repeatable_and_take_the_requested_size(tiny_model):
    height, width = tiny_model.sizes[-1]
    first = samples.generate_samples(tiny_model, 3, 0, 1.0, 1.0, 7)
    again = samples.generate_samples(tiny_model, 3, 0, 1.0, 1.0, 7)
    assert len(first) == 3 and first[0][0].shape == (height, width, 3)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0][0], first[1][0])
    assert first[0][1].startswith("seed 7 · #1")
    wide = samples.generate_samples(tiny_model, 1, 1, 2.0, 1.0, 7)
    assert wide[0][0].shape == (height, 2 * width, 3)
    with pytest.raises(ValueError, match="number of samples"):
        samples.generate_samples(tiny_model, 0, 0, 1.0, 1.0, 7)


def test_sample_handler_gives_the_library_pixels(tiny_model):
    """The gallery shows exactly what the library draws for the same seed (uint8, no lossy step)."""
    image = samples.generate_samples(tiny_model, 1, 0, 1.0, 1.0, 5)[0][0]
    assert np.array_equal(image, to_uint8(tiny_model.sample(1, seed=5)))


def test_large_samples_show_as_previews_and_download_at_full_size(tiny_model, tmp_path):
    """A small preview side stands in for the page's: the split is the same at any size."""
    height, width = tiny_model.sizes[-1]
    full = samples.generate_samples(tiny_model, 3, 0, 2.0, 1.0, 7)
    shown, files = samples.show_samples(tiny_model, 3, 0, 2.0, 1.0, 7, None, lambda: tmp_path, preview_side=32)
    assert [image.shape for image, _ in shown] == [(round(32 * height / (2 * width)), 32, 3)] * 3
    assert shown[0][1] == f"seed 7 · #1 · {2 * width}×{height} · preview"
    # The downloads are the samples themselves, losslessly, in the gallery's order.
    assert [path.name for path in files] == ["sample-seed7-1.png", "sample-seed7-2.png", "sample-seed7-3.png"]
    assert all(
        np.array_equal(np.asarray(Image.open(path)), image) for path, (image, _) in zip(files, full, strict=True)
    )


def test_samples_that_fit_the_page_are_shown_whole_with_nothing_to_download(tiny_model):
    def no_folder():
        raise AssertionError("nothing to write")

    shown, files = samples.show_samples(tiny_model, 2, 0, 1.0, 1.0, 7, None, no_folder, preview_side=40)
    assert files == []
    full = samples.generate_samples(tiny_model, 2, 0, 1.0, 1.0, 7)
    assert all(np.array_equal(a[0], b[0]) and a[1] == b[1] for a, b in zip(shown, full, strict=True))


def test_outputs_over_the_limit_are_refused_with_a_size_that_fits(tiny_model):
    # One batch: the library's own limit and advice, as a sentence for the visitor.
    with pytest.raises(gr.Error) as refused:
        friendly(samples.generate_samples)(tiny_model, 1, 0, 300.0, 300.0, 0)
    assert refused.value.message.startswith("An output of 12000x9300 px is 111.6 megapixels")
    assert "ask for a stretch of at most" in refused.value.message
    # A press of several batches is held to the same limit as a whole, before any work.
    with pytest.raises(OutputSizeError, match=r"16 outputs of .* ask for at most 12 samples at this size"):
        samples.generate_samples(tiny_model, 16, 0, 57.0, 57.0, 0)
