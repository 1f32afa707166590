import json
import subprocess
import sys

import numpy as np
import torch
from PIL import Image

from singan_lite import SinGAN

from .conftest import ROOT, TINY_IMAGE


def run_cli(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "singan_lite", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_pyramid_prints_the_reference_levels(tmp_path):
    path = tmp_path / "x.png"
    Image.fromarray(np.zeros((186, 248, 3), np.uint8)).save(path)
    result = run_cli("pyramid", path)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["levels"][0] == [25, 34] and plan["levels"][-1] == [186, 248]
    assert len(plan["levels"]) == 9 and round(1 / plan["scale_factor"], 3) == 1.285


def test_train_then_sample(tmp_path):
    model = tmp_path / "m.safetensors"
    snapshots = tmp_path / "snaps"
    settings = ["--max-size", 40, "--min-size", 20, "--iters", 2, "--no-batch-norm"]
    trained = run_cli("train", TINY_IMAGE, "-o", model, *settings, "--snapshots", snapshots)
    assert trained.returncode == 0, trained.stderr
    loaded = SinGAN.load(model)
    assert min(loaded.sizes[0]) == 20
    # The paper preset has batch norm; the flag takes it out of the saved settings and the networks.
    assert not loaded.config.batch_norm
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for g in loaded.generators for m in g.modules())
    assert (snapshots / "scale00_sample.png").exists()

    out = tmp_path / "samples"
    sampled = run_cli("sample", model, "-o", out, "-n", 2, "--start-scale", 1, "--scale-h", 2, "--seed", 1)
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
