import pytest

from singan_lite import ImageError, build_pyramid, plan_pyramid
from singan_lite.imaging import load_image

from .conftest import TINY_IMAGE


def test_reference_example_186x248():
    plan = plan_pyramid(186, 248)
    reference = [(25, 34), (33, 43), (42, 56), (54, 71), (69, 91), (88, 117), (113, 151), (145, 193), (186, 248)]
    assert plan.sizes == reference
    assert round(1 / plan.scale_factor, 3) == 1.285


@pytest.mark.parametrize(
    ("height", "width", "scales", "ratio"), [(250, 250, 11, 1.259), (141, 250, 9, 1.241), (186, 248, 9, 1.285)]
)
def test_reference_scale_counts_and_ratios(height, width, scales, ratio):
    plan = plan_pyramid(height, width)
    assert plan.num_scales == scales
    assert round(1 / plan.scale_factor, 3) == ratio
    assert min(plan.sizes[0]) == 25
    assert plan.sizes[-1] == (height, width)


def test_large_image_is_shrunk_to_max_size():
    plan = plan_pyramid(1000, 1500, max_size=250)
    assert max(plan.sizes[-1]) == 250
    assert min(plan.sizes[0]) == 25


def test_settings_are_honoured():
    plan = plan_pyramid(300, 400, min_size=40, max_size=120, scale_factor=0.5)
    assert max(plan.sizes[-1]) == 120
    assert min(plan.sizes[0]) == 40


def test_a_coarsest_scale_smaller_than_the_critics_patch_is_refused():
    assert min(plan_pyramid(300, 400, min_size=11, max_size=120).sizes[0]) == 11
    with pytest.raises(ValueError, match="at least 11 px"):
        plan_pyramid(300, 400, min_size=10, max_size=120)


def test_sr_pyramid_keeps_its_factor():
    plan = plan_pyramid(100, 100, min_size=18, max_size=100, scale_factor=0.8, refit=False)
    assert plan.scale_factor == 0.8


def test_too_small_image_is_refused():
    with pytest.raises(ImageError, match="smaller than the coarsest scale"):
        plan_pyramid(20, 300)


def test_too_elongated_image_is_refused():
    with pytest.raises(ImageError, match="too elongated"):
        plan_pyramid(30, 1000)


def test_scales_are_resized_from_the_finest_image():
    image = load_image(TINY_IMAGE)
    plan = plan_pyramid(*image.shape[-2:], max_size=60)
    scales = build_pyramid(image, plan.sizes)
    assert [tuple(scale.shape[-2:]) for scale in scales] == plan.sizes
    assert all(scale.min() >= -1 and scale.max() <= 1 for scale in scales)
