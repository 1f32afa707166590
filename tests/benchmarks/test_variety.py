import shutil
from pathlib import Path

import pytest

from benchmarks.common import ROOT
from benchmarks.variety import main, section_name


def test_a_folder_of_models_gets_a_section_of_its_own_with_a_row_per_variety(results, tiny_model_path, tmp_path):
    folder = tmp_path / "fast_models"
    folder.mkdir()
    shutil.copy(tiny_model_path, folder / "mountains.safetensors")
    assert main(["--models", str(folder), "--values", "1", "2", "--samples", "2", "--without-sifid"]) == 0
    text = results.read_text()
    assert f"## Variety at sampling time ({folder.as_posix()})" in text
    assert f"Re-run: `python -m benchmarks.variety --models {folder}" in text
    assert "Means over the models mountains:" in text
    rows = [line for line in text.splitlines() if line.startswith(("| 1 |", "| 2 |"))]
    assert len(rows) == 2
    layout_at_1, layout_at_2 = (float(row.split("|")[2]) for row in rows)
    # Twice the noise at the start scale moves the scene further from the training image.
    assert layout_at_2 > layout_at_1
    assert "## Variety at sampling time\n" not in text


def test_the_shipped_models_keep_their_section_however_their_folder_is_written(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    assert section_name(Path("assets/models")) == "Variety at sampling time"
    assert section_name(tmp_path) == f"Variety at sampling time ({tmp_path.as_posix()})"


def test_a_folder_without_models_says_so_instead_of_writing_an_empty_table(results, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--models", str(tmp_path)])
    assert "holds no model files" in capsys.readouterr().err
    assert not results.exists()
