"""The Train tab's handler: training streamed as page updates, stopped, and registered."""

import dataclasses
import threading

import pytest

from demo.handlers import train
from singan_lite import ImageError, SinGAN, preset
from singan_lite.estimate import MachineSpeed, describe_duration, estimate_training_seconds
from singan_lite.training import pyramid_for

from ..conftest import TINY_IMAGE

TRAIN_CONFIG = train.training_config("paper", max_size=40, seed=0, iterations=2)


def test_training_streams_progress_and_registers_the_model(registry):
    stream = train.train_model(
        TINY_IMAGE, TRAIN_CONFIG, registry=registry, session={}, stop=threading.Event(), refresh_seconds=0
    )
    updates = list(stream)
    final = updates[-1]
    model = SinGAN.load(final.model_file)
    assert model.is_complete
    assert final.fraction == 1.0 and final.model_name in registry.names(final.session)
    assert registry.load(final.model_name, final.session).trained_scales == model.num_scales
    assert len(final.snapshots) == 3 * model.num_scales
    # Every loss over the whole run (singan_lite.viz.loss_curves), every iteration of a short run.
    assert {trace.name for trace in final.figure.data} >= {"reconstruction MSE", "critic on real patches"}
    iterations = sum(model.config.iterations_at(s, model.num_scales) for s in range(model.num_scales))
    assert len(final.figure.data[0].x) == iterations
    fractions = [update.fraction for update in updates]
    assert updates[0].status.startswith("Starting") and fractions[0] == 0
    assert fractions == sorted(fractions) and 0 < fractions[1] < 1


def test_stop_keeps_the_finished_scales(registry):
    stop = threading.Event()
    updates = []
    # Enough iterations per scale that training cannot finish while the stop travels.
    config = dataclasses.replace(TRAIN_CONFIG, iterations=40)
    for update in train.train_model(TINY_IMAGE, config, registry=registry, session={}, stop=stop):
        updates.append(update)
        if update.snapshots:
            stop.set()
    final = updates[-1]
    model = SinGAN.load(final.model_file)
    assert 1 <= model.trained_scales < model.num_scales
    assert final.status.startswith("Stopped; kept the finished scales")


def test_stop_switches_reach_only_their_own_session():
    switches = train.StopSwitches()
    mine, theirs = switches.arm("me"), switches.arm("them")
    assert switches.press("me") and mine.is_set() and not theirs.is_set()
    switches.release("me", mine)
    assert not switches.press("me")


def test_training_a_bad_image_fails_with_the_library_message(registry, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("hello")
    with pytest.raises(ImageError, match="not a readable image"):
        next(train.train_model(text, TRAIN_CONFIG, registry=registry, session={}, stop=threading.Event()))


def test_the_estimate_describes_the_run_a_press_would_start():
    config = train.training_config("fast", max_size=120, seed=0)
    sizes = pyramid_for(config, 188, 250).sizes  # TINY_IMAGE is 250x188
    text = train.training_estimate(TINY_IMAGE, config)
    iterations = sum(config.iterations_at(s, len(sizes)) for s in range(len(sizes)))
    assert text.startswith(f"*fast* at 120×91 px: {len(sizes)} scales, {iterations} iterations, about ")
    assert f"about **{describe_duration(estimate_training_seconds(config, sizes))}** on 2 CPU cores" in text
    # On a measured machine, its own estimate: a machine four times slower reads four times as long.
    slow = MachineSpeed(fixed=4.0, work=4.0)
    seconds = estimate_training_seconds(config, sizes, speed=slow)
    assert seconds == pytest.approx(4 * estimate_training_seconds(config, sizes))
    assert f"about **{describe_duration(seconds)}** on this machine's CPU" in train.training_estimate(
        TINY_IMAGE, config, slow
    )
    # `paper` runs in fp32 with batch norm, which the probes do not time: the fitted estimate.
    paper = train.training_config("paper", max_size=120, seed=0)
    paper_seconds = estimate_training_seconds(paper, pyramid_for(paper, 188, 250).sizes)
    assert f"about **{describe_duration(paper_seconds)}** on 2 CPU cores" in train.training_estimate(
        TINY_IMAGE, paper, slow
    )
    # The finest scale never exceeds the image: a max size past it describes the image's own size.
    assert train.training_estimate(TINY_IMAGE, train.training_config("fast", max_size=1024, seed=0)).startswith(
        "*fast* at 250×188 px"
    )


def test_the_train_tab_starts_at_250_px_only_where_fast_trains_it_in_300_s():
    fast = preset("fast")
    seconds = estimate_training_seconds(fast, pyramid_for(fast, 188, 250).sizes)  # the fitted speed
    in_time = MachineSpeed(fixed=0.9 * 300 / seconds, work=0.9 * 300 / seconds)
    too_slow = MachineSpeed(fixed=1.1 * 300 / seconds, work=1.1 * 300 / seconds)
    assert train.default_training_side(in_time) == 250
    assert train.default_training_side(too_slow) == 160
    assert train.default_training_side(None) == 160  # not measured: too busy to tell


def test_the_estimate_explains_what_cannot_train(tmp_path):
    assert train.training_estimate(None, TRAIN_CONFIG) == "Pick an image and press *Train*."
    text = tmp_path / "notes.png"
    text.write_text("hello")
    assert train.training_estimate(text, TRAIN_CONFIG).startswith("Cannot train: 'notes.png' is not a readable image")
    too_coarse = train.training_config("fast", max_size=40, seed=0, min_size=200)
    assert "smaller than the coarsest scale" in train.training_estimate(TINY_IMAGE, too_coarse)
