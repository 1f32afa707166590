import shutil

import pytest

from benchmarks.published_diversity import Estimate, main, report
from benchmarks.quality import IMAGE_SETS

needs_places10 = pytest.mark.skipif(not IMAGE_SETS["places10"].folder.is_dir(), reason="needs ../shared/data/places10")


def test_the_published_diversity_is_their_deviation_times_our_share_of_spread():
    estimate = Estimate("3", diversity=0.3, deviation=0.5, published_deviation=0.7)
    assert estimate.share_of_spread == pytest.approx(0.6)
    assert estimate.published_diversity == pytest.approx(0.42)


def test_the_report_gives_each_recipes_means_before_its_images():
    estimates = {
        "runs/a": [Estimate("1", 0.2, 0.4, 0.6), Estimate("2", 0.4, 0.5, 0.5)],
        "runs/b": [Estimate("1", 0.3, 0.6, 0.6)],
    }
    body = report(estimates)
    # Means of a: diversity 0.3, deviation 0.45, published deviation 0.55, estimate (0.3 + 0.4) / 2.
    assert "| runs/a | 2 | 0.3 | 0.45 | 0.55 | 0.35 |" in body
    assert "| runs/b | 1 | 0.3 | 0.6 | 0.6 | 0.3 |" in body
    assert body.index("| runs/b | 1 |") < body.index("Per image:") < body.index("| runs/a | 2 | 0.4 | 0.5 | 0.8 |")


@needs_places10
def test_a_folder_of_models_gets_the_section_with_an_estimate_per_image(results, tiny_model_path, tmp_path):
    folder = tmp_path / "fast"
    folder.mkdir()
    shutil.copy(tiny_model_path, folder / "1.safetensors")
    assert main(["--models", str(folder)]) == 0
    text = results.read_text()
    assert "## Diversity of the published samples (estimated)" in text
    assert f"Re-run: `python -m benchmarks.published_diversity --models {folder.as_posix()}`" in text
    prefix = f"| {folder.as_posix()} | 1 | "
    means, per_image = (line.split("|") for line in text.splitlines() if line.startswith(prefix))
    # One image: its means are its own row.
    assert means[3:7] == [per_image[i] for i in (3, 4, 6, 7)]
    diversity, deviation, share, published_deviation, estimate = (float(cell) for cell in per_image[3:8])
    assert 0 < diversity < deviation and share == pytest.approx(diversity / deviation, rel=1e-3)
    assert estimate == pytest.approx(published_deviation * share, rel=1e-3)


@needs_places10
def test_a_folder_without_models_says_so(results, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--models", str(tmp_path)])
    assert "holds no places10 model files" in capsys.readouterr().err
    assert not results.exists()
