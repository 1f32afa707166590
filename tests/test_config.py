import dataclasses

import pytest

from singan_lite import PRESETS, TrainConfig, plan_pyramid, preset
from singan_lite.config import preset_values
from singan_lite.speed import window_size


def test_paper_preset_is_the_published_recipe():
    paper = preset("paper")
    assert paper == TrainConfig()
    assert (paper.min_size, paper.max_size, paper.scale_factor) == (25, 250, 0.75)
    assert (paper.iterations, paper.d_steps, paper.g_steps) == (2000, 3, 3)
    assert (paper.lr, paper.betas, paper.lr_decay_at, paper.lr_decay) == (5e-4, (0.5, 0.999), 0.8, 0.1)
    assert (paper.gp_weight, paper.alpha, paper.noise_amp) == (0.1, 10.0, 0.1)
    assert (paper.base_width, paper.max_width, paper.double_every) == (32, 128, 4)
    assert paper.crop_size is None and paper.fine_iterations == 1.0
    assert not paper.redraw_z_star
    assert not paper.bf16


def test_fast_redraws_z_star_except_when_training_for_super_resolution():
    fast = preset("fast")
    assert fast.redraw_z_star
    assert not fast.with_super_resolution(4.0).redraw_z_star


def test_fast_starts_from_a_scale_that_g0s_window_nearly_covers():
    fast = preset("fast")
    coarsest = plan_pyramid(188, 250, fast.min_size, fast.max_size, fast.scale_factor).sizes[0]
    # Only pixels within 5 px of the border see the zero padding, so only they know where they are.
    blind_rows = coarsest[0] - 2 * 5
    assert coarsest == (16, 22) and blind_rows < 0.4 * coarsest[0]


def test_quality_starts_at_20_px_from_a_fixed_z_star_with_a_shallow_g0_and_trains_whole_scales_up_to_256_px():
    fast, quality = preset("fast"), preset("quality")
    coarsest = plan_pyramid(188, 250, quality.min_size, quality.max_size, quality.scale_factor).sizes[0]
    assert coarsest == (20, 27) and not quality.redraw_z_star and not quality.batch_norm
    assert [quality.generator_convs_at(s) for s in range(3)] == [4, 5, 5]
    fast_counts = [fast.iterations_at(s, 10) for s in range(10)]
    quality_counts = [quality.iterations_at(s, 10) for s in range(10)]
    # fast's scale 0 takes fewer steps of four fakes each (a step there is mostly overhead).
    assert (quality_counts[0], quality.fakes_at(0)) == (3120, 1)
    assert (fast_counts[0], fast.fakes_at(0)) == (832, 4)
    # Scales 1 and 2 invent a new layout's objects: more than twice fast's; above them twice.
    assert all(q > 2 * f for q, f in zip(quality_counts[1:3], fast_counts[1:3], strict=True))
    assert all(abs(q - 2 * f) <= 1 for q, f in zip(quality_counts[3:], fast_counts[3:], strict=True))
    assert window_size((188, 250), quality.crop_size) == (188, 250)
    assert window_size((768, 1024), quality.crop_size) == (256, 256)


def test_unknown_preset_is_named():
    with pytest.raises(ValueError, match="unknown preset 'slow'"):
        preset("slow")


def test_help_texts_describe_the_presets_as_they_are(monkeypatch):
    assert preset_values("min_size") == "fast 16, quality 20, paper 25"
    monkeypatch.setitem(PRESETS, "quality", preset("quality", coarsest_convs=3))
    assert preset_values("coarsest_convs") == "quality 3, paper and fast 5"


def test_iterations_can_shrink_towards_the_fine_scales():
    config = preset("paper", iterations=100, fine_iterations=0.5)
    assert [config.iterations_at(s, 3) for s in range(3)] == [100, 75, 50]
    coarse_first = dataclasses.replace(config, coarsest_iterations=4.0)
    assert [coarse_first.iterations_at(s, 3) for s in range(3)] == [400, 75, 50]
    # The extra factor halves per scale when it tapers over two: x4, x2, x1.
    tapered = dataclasses.replace(coarse_first, coarse_scales=2)
    assert [tapered.iterations_at(s, 3) for s in range(3)] == [400, 150, 50]


def test_only_scale_0_steps_on_several_fakes():
    config = preset("fast", coarsest_batch=4)
    assert [config.fakes_at(scale) for scale in range(3)] == [4, 1, 1]
    with pytest.raises(ValueError, match="coarsest_batch must be at least 1"):
        preset("fast", coarsest_batch=0)


def test_only_the_coarsest_generator_may_be_shallower():
    config = preset("quality", coarsest_convs=3)
    assert [config.generator_convs_at(scale) for scale in range(3)] == [3, 5, 5]
    assert preset("paper").generator_convs_at(0) == preset("fast").generator_convs_at(0) == 5
    for convs in (1, 6):
        with pytest.raises(ValueError, match=f"coarsest_convs must be from 2 to 5 \\(got {convs}\\)"):
            preset("quality", coarsest_convs=convs)


@pytest.mark.parametrize("name", ["d_steps", "g_steps"])
def test_an_iteration_needs_a_critic_and_a_generator_step(name):
    with pytest.raises(ValueError, match=f"{name} must be at least 1"):
        preset("paper", **{name: 0})
    with pytest.raises(ValueError, match=f"{name} must be at least 1"):
        TrainConfig.from_dict({**TrainConfig().to_dict(), name: 0})


def test_settings_survive_a_round_trip_through_a_dict():
    config = preset("quality", crop_size=64, sr_factor=2.0)
    assert TrainConfig.from_dict(config.to_dict()) == config


def test_unknown_settings_are_named():
    with pytest.raises(ValueError, match=r"unknown training settings: \['speed'\]"):
        TrainConfig.from_dict({"speed": 3})


def test_super_resolution_is_the_papers_recipe():
    config = preset("paper").with_super_resolution(4.0)
    # k = round(log 4 / log 2^(1/3)) = 6 steps of 4^(1/6) each, alpha 100, an 18 px coarsest scale.
    assert config.sr_steps == 6
    assert config.scale_factor == pytest.approx(4 ** (-1 / 6))
    assert (config.alpha, config.min_size, config.sr_factor) == (100.0, 18, 4.0)


def test_super_resolution_settings_are_checked():
    with pytest.raises(ValueError, match=r"at least 1\.5"):
        preset("paper").with_super_resolution(1.2)
    with pytest.raises(ValueError, match="not trained for super-resolution"):
        _ = preset("paper").sr_steps
