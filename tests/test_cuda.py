"""Training and every task on a CUDA GPU: skipped on machines without one (CI has none).

Run them where a GPU is: `python -m pytest tests/test_cuda.py`.
"""

import threading

import pytest
import torch

from singan_lite import IterationEvent, ScaleEvent, SinGAN, load_image, preset, resolve_device, train
from singan_lite.background import TrainingEnded, train_in_background
from singan_lite.tasks import animate, edit, finetune_for_paint, harmonize, paint_to_image, super_resolve

from .conftest import ASSETS, TINY_IMAGE, tiny_config

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

GPU = torch.device("cuda")
INPUTS = ASSETS / "inputs"


def _fast_tiny(**overrides):
    """`fast`'s recipe (no batch norm, windows, a bank of coarser samples) on the ~40 px pyramid."""
    settings = {"iterations": 20, "max_size": 40, "min_size": 16, "crop_size": 12, "sample_bank": 4}
    return preset("fast", **{**settings, **overrides})


@pytest.fixture(scope="module")
def gpu_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("gpu") / "tiny.safetensors"
    torch.manual_seed(0)
    return train(TINY_IMAGE, tiny_config(iterations=20), checkpoint=path, device="cuda"), path


def test_auto_trains_on_the_gpu():
    assert resolve_device("auto") == resolve_device("cuda") == torch.device("cuda")


@pytest.mark.parametrize("recipe", ["paper", "fast"])
def test_a_gpu_run_learns_in_float32_and_keeps_its_networks_on_the_gpu(recipe):
    config = tiny_config(iterations=30) if recipe == "paper" else _fast_tiny(iterations=30)
    events = []
    model = train(TINY_IMAGE, config, on_event=events.append, device="cuda")
    assert model.device.type == "cuda" and model.is_complete
    params = [p for g in model.generators for p in g.parameters()]
    assert all(p.device.type == "cuda" and p.dtype == torch.float32 for p in params)
    coarsest = [e.losses["reconstruction"] for e in events if isinstance(e, IterationEvent) and e.scale == 0]
    assert sum(coarsest[-5:]) / 5 < 0.5 * coarsest[0]
    finished = [e for e in events if isinstance(e, ScaleEvent)]
    assert all(e.sample.device.type == "cpu" for e in finished)  # the app's snapshots
    sample = model.sample(2, seed=1)
    assert sample.device.type == "cuda" and sample.shape == (2, 3, *model.sizes[-1])
    assert torch.isfinite(sample).all()


def test_a_gpu_model_loads_on_a_cpu_and_rebuilds_the_same_image(gpu_model):
    model, path = gpu_model
    on_cpu = SinGAN.load(path)
    assert on_cpu.device.type == "cpu"
    # TF32 convolutions on the GPU round differently from the CPU's fp32 ones.
    torch.testing.assert_close(on_cpu.reconstruct(), model.reconstruct().cpu(), atol=2e-2, rtol=0)
    assert SinGAN.load(path, device="cuda").sample(seed=3).device.type == "cuda"


def test_a_stopped_gpu_run_resumes_on_the_gpu(tmp_path):
    checkpoint = tmp_path / "m.safetensors"
    config = _fast_tiny(iterations=4)
    train(
        TINY_IMAGE,
        config,
        checkpoint=checkpoint,
        device="cuda",
        on_event=lambda event: isinstance(event, ScaleEvent) and event.scale == 1,
    )
    partial = SinGAN.load(checkpoint, device="cuda")
    assert partial.trained_scales == 2 < partial.num_scales
    finished = train(resume=partial, checkpoint=checkpoint, device="cuda")
    assert finished.is_complete and SinGAN.load(checkpoint).is_complete


def test_every_task_runs_on_a_gpu_model(gpu_model):
    model, _ = gpu_model
    size = tuple(model.real.shape[-2:])
    assert model.sample(seed=0, start_scale=1, stretch_h=1.5, variety=1.5).device.type == "cuda"
    assert paint_to_image(model, INPUTS / "paint_mountains.png", seed=0).shape == (1, 3, *size)
    for task, image, mask in (
        (edit, "edit_mountains.png", "edit_mountains_mask.png"),
        (harmonize, "harmonize_clouds.png", "harmonize_clouds_mask.png"),
    ):
        result = task(model, INPUTS / image, INPUTS / mask, seed=0)
        assert result.blended.shape == (1, 3, *size) and torch.isfinite(result.blended).all()
    frames = animate(model, frames=8, seed=0)
    assert frames.shape == (8, 3, *size) and torch.isfinite(frames).all()
    tuned = finetune_for_paint(model, 2, iterations=3)
    assert next(tuned.generators[2].parameters()).device.type == "cuda"
    assert paint_to_image(tuned, INPUTS / "paint_mountains.png", quantize=True, seed=0).shape == (1, 3, *size)


def test_super_resolution_on_a_gpu():
    model = train(TINY_IMAGE, tiny_config(iterations=2).with_super_resolution(1.5), device="cuda")
    height, width = model.real.shape[-2:]
    upsampled = super_resolve(model, seed=0)
    assert upsampled.shape == (1, 3, round(1.5 * height), round(1.5 * width))
    assert torch.equal(upsampled, super_resolve(model, seed=0))


def test_the_app_trains_on_a_gpu_in_a_thread(tmp_path):
    checkpoint = tmp_path / "model.safetensors"
    image, stop = load_image(TINY_IMAGE), threading.Event()
    events = list(train_in_background(image, _fast_tiny(iterations=3), checkpoint, stop, GPU))
    assert isinstance(events[-1], TrainingEnded) and events[-1].trained_scales == events[-1].num_scales
    assert not [t for t in threading.enumerate() if t.name == "singan-train"]
    assert SinGAN.load(checkpoint).is_complete
