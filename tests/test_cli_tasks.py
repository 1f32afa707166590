import json

import numpy as np
import pytest
from PIL import Image

from singan_lite import SinGAN, save_image
from singan_lite.__main__ import main

from .conftest import ASSETS, TINY_IMAGE
from .test_cli import run_cli

INPUTS = ASSETS / "inputs"


def image_size(path):
    with Image.open(path) as image:
        return image.size


def test_paint_edit_and_harmonize_write_what_they_say(tiny_model_path, tmp_path):
    model = SinGAN.load(tiny_model_path)
    width_height = (model.real.shape[-1], model.real.shape[-2])

    painted = run_cli("paint", tiny_model_path, INPUTS / "paint_mountains.png", "-o", tmp_path / "p.png", "--seed", 0)
    assert painted.returncode == 0, painted.stderr
    assert image_size(tmp_path / "p.png") == width_height
    assert "p.png" in painted.stdout

    for task, image, mask in (
        ("edit", "edit_mountains.png", "edit_mountains_mask.png"),
        ("harmonize", "harmonize_clouds.png", "harmonize_clouds_mask.png"),
    ):
        out = tmp_path / f"{task}.png"
        result = run_cli(task, tiny_model_path, INPUTS / image, INPUTS / mask, "-o", out, "--scale", 2)
        assert result.returncode == 0, result.stderr
        assert image_size(out) == image_size(tmp_path / f"{task}_raw.png") == width_height
        assert f"{task}_raw.png" in result.stdout


def test_quantised_paint_saves_the_finetuned_model(tiny_model_path, tmp_path):
    tuned = tmp_path / "tuned.safetensors"
    result = run_cli(
        "paint", tiny_model_path, INPUTS / "paint_mountains.png", "-o", tmp_path / "q.png",
        "--quantize", "--finetune-iters", 2, "--save-model", tuned,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "q.png").exists()
    assert SinGAN.load(tuned).trained_scales == SinGAN.load(tiny_model_path).trained_scales


def test_train_for_super_resolution_then_upsample(tmp_path):
    model = tmp_path / "sr.safetensors"
    trained = run_cli("train", TINY_IMAGE, "-o", model, "--max-size", 40, "--iters", 2, "--sr-factor", 2)
    assert trained.returncode == 0, trained.stderr
    height, width = SinGAN.load(model).real.shape[-2:]

    result = run_cli("superres", model, "-o", tmp_path / "sr.png")
    assert result.returncode == 0, result.stderr
    assert image_size(tmp_path / "sr.png") == (2 * width, 2 * height)

    small = tmp_path / "small.png"
    Image.fromarray(np.full((15, 21, 3), 90, np.uint8)).save(small)
    result = run_cli("superres", model, small, "-o", tmp_path / "sr_small.png")
    assert result.returncode == 0, result.stderr
    assert image_size(tmp_path / "sr_small.png") == (42, 30)


def test_animate_writes_gif_and_mp4(tiny_model_path, tmp_path):
    gif = tmp_path / "a.gif"
    result = run_cli("animate", tiny_model_path, "-o", gif, "--frames", 6, "--fps", 5, "--scale-h", 1.5, "--seed", 0)
    assert result.returncode == 0, result.stderr
    with Image.open(gif) as animation:
        assert animation.n_frames == 6
        assert animation.width > animation.height
    mp4 = tmp_path / "a.mp4"
    result = run_cli("animate", tiny_model_path, "-o", mp4, "--frames", 4, "--start-scale", 1)
    assert result.returncode == 0, result.stderr
    assert mp4.stat().st_size > 0


def test_evaluate_prints_the_measures_as_json(tiny_model, tmp_path):
    folder = tmp_path / "samples"
    for index, sample in enumerate(tiny_model.sample(2, seed=0)):
        save_image(sample, folder / f"{index}.png")
    (folder / "notes.txt").write_text("not an image, skipped")
    real = save_image(tiny_model.real, tmp_path / "real.png")
    result = run_cli("evaluate", real, folder)
    assert result.returncode == 0, result.stderr
    measures = json.loads(result.stdout)
    assert measures["num_samples"] == 2
    assert {"swd", "nn_realism", "nn_coverage", "diversity"} <= set(measures)


@pytest.fixture()
def bad_inputs(tiny_model_path, tmp_path):
    black = tmp_path / "black.png"
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(black)
    junk = tmp_path / "junk.png"
    junk.write_text("not an image")
    (tmp_path / "empty").mkdir()
    model, painting, out = tiny_model_path, INPUTS / "paint_mountains.png", tmp_path / "out.png"
    return [
        ("paint", model, painting, "-o", out, "--scale", 0),
        ("paint", model, junk, "-o", out),
        ("paint", model, painting, "-o", tmp_path / "out.unknown"),
        ("paint", model, painting, "-o", out, "--save-model", tmp_path / "m.safetensors"),
        ("edit", model, INPUTS / "edit_mountains.png", black, "-o", out),
        ("harmonize", model, INPUTS / "harmonize_clouds.png", tmp_path / "missing.png", "-o", out),
        ("superres", model, "-o", out),
        ("animate", model, "-o", tmp_path / "a.avi"),
        ("animate", model, "-o", tmp_path / "a.gif", "--frames", 0),
        ("evaluate", TINY_IMAGE, tmp_path / "empty"),
    ]


def test_bad_task_inputs_give_one_clear_line(bad_inputs, capsys):
    for args in bad_inputs:
        code = main([str(arg) for arg in args])
        lines = capsys.readouterr().err.strip().splitlines()
        assert code == 2, args
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, lines)
