"""The training-time estimate: the CLI's paper announcement and the app's Train tab read it."""

import dataclasses

import pytest

from singan_lite import preset
from singan_lite.estimate import (
    MachineSpeed,
    Probe,
    describe_duration,
    estimate_training_seconds,
    fit_machine_speed,
    measured_speed_fits,
    probe_iteration_seconds,
)
from singan_lite.speed_probe import measure_machine_speed
from singan_lite.training import pyramid_for

# A 4:3 photograph's shape, as large as the app trains.
PHOTO = (768, 1024)
# The shape of the benchmarks' measured runs (benchmarks/RESULTS.md, "Training cost").
BENCHMARK = (188, 250)


def _estimate(config, shape=PHOTO) -> float:
    return estimate_training_seconds(config, pyramid_for(config, *shape).sizes)


@pytest.mark.parametrize("name", ["fast", "quality", "paper"])
def test_the_estimate_grows_with_the_max_size(name):
    seconds = [_estimate(preset(name, max_size=size)) for size in (64, 128, 250, 512, 1024)]
    assert seconds == sorted(seconds) and len(set(seconds)) == len(seconds)


def test_presets_at_250_px_come_out_near_their_measured_times():
    # The bounds hold the times measured for these presets on CPUs with bf16 (benchmarks/RESULTS.md,
    # "Training cost, `fast` preset" and "Training cost, `quality` preset").
    assert 200 < _estimate(preset("fast"), BENCHMARK) < 400
    assert 600 < _estimate(preset("quality"), BENCHMARK) < 1000
    # The published recipe takes most of a day on a small CPU, not minutes.
    assert 6 * 3600 < _estimate(preset("paper"), BENCHMARK) < 48 * 3600


def test_windows_keep_a_1024_px_run_from_costing_whole_scales():
    """fast trains its fine scales on 96 px windows: a step costs the same at 1024 px as at 250."""
    windowed = preset("fast", max_size=1024)
    whole = dataclasses.replace(windowed, crop_size=None)
    assert _estimate(windowed) < _estimate(whole) / 4
    # More scales, each as cheap per step as at 250 px: well under twice the time.
    assert _estimate(windowed) < 2 * _estimate(preset("fast", max_size=250))


def test_the_estimate_follows_the_iterations_and_the_scales_left():
    paper = preset("paper")
    sizes = pyramid_for(paper, *BENCHMARK).sizes
    full = estimate_training_seconds(paper, sizes)
    # The iterations set the cost; the whole-scale passes between scales add a little.
    assert estimate_training_seconds(preset("paper", iterations=20), sizes) == pytest.approx(full / 100, rel=0.1)
    # Resuming: the finest scale alone is the largest share of a whole-scale recipe.
    assert estimate_training_seconds(paper, sizes, first_scale=len(sizes) - 1) > full / 2
    assert estimate_training_seconds(paper, sizes[:3]) < full / 100


def test_several_fakes_make_scale_0_dearer_and_leave_the_others_alone():
    one, four = preset("fast", coarsest_batch=1), preset("fast", coarsest_batch=4)
    sizes = pyramid_for(one, *BENCHMARK).sizes
    assert estimate_training_seconds(four, sizes[:1]) > estimate_training_seconds(one, sizes[:1])
    above = estimate_training_seconds(one, sizes, first_scale=1)
    assert estimate_training_seconds(four, sizes, first_scale=1) == pytest.approx(above)


@pytest.mark.parametrize(("seconds", "text"), [(42.4, "42 s"), (299, "5 min"), (5400, "1.5 h")])
def test_durations_read_as_a_person_would_say_them(seconds, text):
    assert describe_duration(seconds) == text


def test_a_measured_speed_is_the_one_the_probes_times_imply():
    fast = preset("fast")
    large = dataclasses.replace(fast, coarsest_batch=1)
    truth = MachineSpeed(fixed=0.9, work=0.45)

    def timed(config, size, speed):
        return Probe(config, size, probe_iteration_seconds(config, size, speed))

    small_probe, large_probe = timed(fast, (16, 22), truth), timed(large, (96, 96), truth)
    fitted = fit_machine_speed(small_probe, large_probe)
    assert (fitted.fixed, fitted.work) == pytest.approx((0.9, 0.45))
    # Timings no pair of positive parts explains (the small probe slower than the large one) fall
    # back to one ratio for both parts, the mean of the two probes' ratios to the fitted estimate.
    noisy = fit_machine_speed(dataclasses.replace(small_probe, seconds=1.0), large_probe)
    assert noisy.fixed == noisy.work > 1


def test_the_probes_measure_this_machine_or_give_up_when_over_budget():
    speed = measure_machine_speed(repeats=1)
    # None only where this machine was too busy to probe in the default budget.
    assert speed is None or (speed.fixed > 0 and speed.work > 0)
    assert measure_machine_speed(repeats=1, budget=0.0) is None


def test_a_measured_speed_serves_only_the_recipes_the_probes_time():
    assert measured_speed_fits(preset("fast")) and measured_speed_fits(preset("quality"))
    # fp32 with batch norm gains nothing from the bf16 units a probe may have measured.
    assert not measured_speed_fits(preset("paper"))
    assert not measured_speed_fits(preset("fast", batch_norm=True))
