import json
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from singan_lite import SinGAN, cli, load_image, preset, save_image
from singan_lite.cli import main
from singan_lite.estimate import describe_duration, estimate_training_seconds
from singan_lite.training import pyramid_for

from .conftest import ASSETS, ROOT, TINY_IMAGE, generator_convs

INPUTS = ASSETS / "inputs"
COMMANDS = ("pyramid", "train", "sample", "paint", "edit", "harmonize", "superres", "animate", "evaluate")


def run_cli(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "singan_lite", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def image_size(path):
    with Image.open(path) as image:
        return image.size


def test_pyramid_prints_the_reference_scales(tmp_path):
    path = tmp_path / "x.png"
    Image.fromarray(np.zeros((186, 248, 3), np.uint8)).save(path)
    result = run_cli("pyramid", path)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["scales"][0] == [25, 34] and plan["scales"][-1] == [186, 248]
    assert len(plan["scales"]) == 9 and round(1 / plan["scale_factor"], 3) == 1.285


def test_train_then_sample(tmp_path):
    model = tmp_path / "m.safetensors"
    snapshots = tmp_path / "snaps"
    settings = [
        "--preset",
        "quality",
        "--max-size",
        40,
        "--min-size",
        20,
        "--iters",
        2,
        "--batch-norm",
        "--coarsest-convs",
        3,
        "--threads",
        1,
    ]
    trained = run_cli("train", TINY_IMAGE, "-o", model, *settings, "--snapshots", snapshots)
    assert trained.returncode == 0, trained.stderr
    loaded = SinGAN.load(model)
    assert min(loaded.sizes[0]) == 20
    # The quality preset has no batch norm; the flag puts it in the saved settings and the networks.
    assert loaded.config.batch_norm
    assert any(isinstance(m, torch.nn.BatchNorm2d) for g in loaded.generators for m in g.modules())
    assert loaded.config.coarsest_convs == 3 and generator_convs(loaded)[:2] == [3, 5]
    assert (snapshots / "scale00_sample.png").exists()

    out = tmp_path / "samples"
    sampled = run_cli("sample", model, "-o", out, "-n", 2, "--start-scale", 1, "--stretch-h", 2, "--seed", 1)
    assert sampled.returncode == 0, sampled.stderr
    first = np.asarray(Image.open(out / "0.png"))
    reference = np.asarray(Image.open(snapshots / "scale00_real.png"))
    assert first.shape[1] > first.shape[0] > reference.shape[0]
    assert sorted(p.name for p in out.iterdir()) == ["0.png", "1.png"]


def test_resume_finishes_a_partial_model(tiny_model_path, tmp_path):
    partial = SinGAN.load(tiny_model_path)
    del partial.generators[1:]
    partial.noise_amps = partial.noise_amps[:1]
    path = partial.save(tmp_path / "partial.safetensors")
    result = run_cli("train", "-o", path, "--resume")
    assert result.returncode == 0, result.stderr
    assert "resuming" in result.stderr
    assert SinGAN.load(path).is_complete


def test_bad_inputs_give_one_clear_line(tmp_path):
    junk = tmp_path / "junk.png"
    junk.write_text("not an image")
    for args in (
        ("pyramid", junk),
        ("train", junk, "-o", tmp_path / "m.safetensors"),
        ("sample", junk, "-o", tmp_path / "out"),
        ("sample", tmp_path / "missing.safetensors", "-o", tmp_path / "out"),
    ):
        result = run_cli(*args)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr


def test_help_lists_every_command_and_the_console_script_runs():
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    assert all(command in result.stdout for command in COMMANDS)
    # `pip install .` (and requirements-dev.txt's `-e .`) puts the console script beside python.
    script = Path(sysconfig.get_path("scripts")) / "singan-lite"
    installed = subprocess.run([script, "train", "--help"], capture_output=True, text=True, timeout=60)
    assert installed.returncode == 0, installed.stderr
    assert "--preset" in installed.stdout


def test_train_defaults_to_the_fast_preset(tmp_path):
    model = tmp_path / "m.safetensors"
    result = run_cli("train", TINY_IMAGE, "-o", model, "--max-size", 32, "--iters", 1)
    assert result.returncode == 0, result.stderr
    assert "paper preset" not in result.stderr
    assert SinGAN.load(model).config.preset == "fast"


def test_a_run_of_minutes_says_how_long_it_takes_on_this_machine(capsys):
    config = preset("fast")
    sizes = pyramid_for(config, 188, 250).sizes
    cli._announce_cost(config, sizes, 0, "cpu")
    announcement = capsys.readouterr().err
    assert announcement.startswith(f"the fast preset: 11 scales, {config.total_iterations(11)} iterations, about ")
    # This machine's own estimate, or, where it was too busy to probe, the one fitted for 2-core CPUs.
    assert re.search(r"about [\d.]+ (s|min)( on this machine's CPU| on a 2-core CPU) \(Ctrl\+C", announcement)
    fitted = f"about {describe_duration(estimate_training_seconds(config, sizes))} on a 2-core CPU"
    assert "on this machine's CPU" in announcement or fitted in announcement
    # A run of seconds starts without a word.
    small = preset("fast", max_size=32, iterations=2)
    cli._announce_cost(small, pyramid_for(small, 24, 32).sizes, 0, "cpu")
    assert capsys.readouterr().err == ""


def test_paper_preset_says_how_long_it_takes_before_training(tmp_path):
    model = tmp_path / "m.safetensors"
    result = run_cli("train", TINY_IMAGE, "-o", model, "--preset", "paper", "--max-size", 32, "--iters", 1)
    assert result.returncode == 0, result.stderr
    announcement = result.stderr.splitlines()[0]
    # The library's estimate, the one the app shows too, not a figure of the CLI's own.
    config = preset("paper", max_size=32, iterations=1)
    seconds = estimate_training_seconds(config, pyramid_for(config, *load_image(TINY_IMAGE).shape[-2:]).sizes)
    assert announcement.startswith("the paper preset: "), result.stderr
    assert f" about {describe_duration(seconds)} on a 2-core CPU" in announcement, result.stderr
    assert SinGAN.load(model).config.preset == "paper"


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


def test_sample_variety_reaches_the_model(tiny_model_path, tmp_path):
    top = SinGAN.load(tiny_model_path).trained_scales - 1
    for seed in (1, 2):
        args = ["sample", tiny_model_path, "-o", tmp_path / str(seed), "-n", 1, "--start-scale", top, "--seed", seed]
        assert main([str(arg) for arg in [*args, "--variety", 0]]) == 0
    # No noise at the only scale run: every seed gives the same image.
    assert (tmp_path / "1" / "0.png").read_bytes() == (tmp_path / "2" / "0.png").read_bytes()


def test_threads_must_be_auto_or_a_count(capsys):
    with pytest.raises(SystemExit) as exit_code:
        main(["train", str(TINY_IMAGE), "-o", "unused.safetensors", "--threads", "0"])
    assert exit_code.value.code == 2
    assert "expected auto or a positive whole number" in capsys.readouterr().err


def test_the_coarsest_generator_has_two_to_five_convolutions(capsys):
    with pytest.raises(SystemExit) as exit_code:
        main(["train", str(TINY_IMAGE), "-o", "unused.safetensors", "--coarsest-convs", "6"])
    assert exit_code.value.code == 2
    assert "invalid choice: 6 (choose from 2, 3, 4, 5)" in capsys.readouterr().err


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
    # The old spelling --scale-h still works, so commands written before the rename keep running.
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
        ("animate", model, "-o", tmp_path / "a.gif", "--variety", 50),
        ("sample", model, "-o", tmp_path / "samples", "--variety", -1),
        ("evaluate", TINY_IMAGE, tmp_path / "empty"),
    ]


def test_bad_task_inputs_give_one_clear_line(bad_inputs, capsys):
    for args in bad_inputs:
        code = main([str(arg) for arg in args])
        lines = capsys.readouterr().err.strip().splitlines()
        assert code == 2, args
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, lines)
