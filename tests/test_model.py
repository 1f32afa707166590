import dataclasses
import json
import os

import pytest
import torch
from safetensors.torch import load_file, save_file

from singan_lite import ModelFileError, SinGAN, resize, train
from singan_lite.model import FORMAT_VERSION, make_rng

from .conftest import ROOT, TINY_IMAGE, generator_convs, tiny_config


def test_save_load_round_trip_gives_identical_samples(tiny_model, tmp_path):
    path = tiny_model.save(tmp_path / "copy.safetensors")
    again = SinGAN.load(path)
    assert torch.equal(tiny_model.sample(3, seed=11), again.sample(3, seed=11))
    assert again.sizes == tiny_model.sizes and again.config == tiny_model.config


def test_model_files_get_the_usual_permissions(tiny_model, tmp_path):
    """A model shared from a Space or a group folder must be readable by others where the umask allows."""
    previous = os.umask(0o022)
    try:
        path = tiny_model.save(tmp_path / "shared.safetensors")
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o644


def test_same_seed_same_pixels_other_seed_other_pixels(tiny_model):
    assert torch.equal(tiny_model.sample(2, seed=3), tiny_model.sample(2, seed=3))
    assert not torch.equal(tiny_model.sample(1, seed=3), tiny_model.sample(1, seed=4))


def test_batch_samples_differ(tiny_model):
    samples = tiny_model.sample(4, seed=0)
    assert samples.shape == (4, 3, *tiny_model.sizes[-1])
    assert not torch.equal(samples[0], samples[1])


@pytest.mark.parametrize("start_scale", [0, 1, 2])
def test_any_size_from_any_start_scale(tiny_model, start_scale):
    height, width = tiny_model.sizes[-1]
    samples = tiny_model.sample(2, start_scale=start_scale, stretch_h=1.5, stretch_v=0.75, seed=0)
    assert samples.shape == (2, 3, round(height * 0.75), round(width * 1.5))


def test_variety_scales_the_start_scales_noise(tiny_model):
    top = tiny_model.trained_scales - 1
    assert torch.equal(tiny_model.sample(2, seed=3), tiny_model.sample(2, seed=3, variety=1.0))
    # Without the start scale's noise, only the finer scales' noise could vary: at the top scale, nothing.
    assert torch.equal(
        tiny_model.sample(1, start_scale=top, seed=1, variety=0),
        tiny_model.sample(1, start_scale=top, seed=2, variety=0),
    )

    def spread(variety):
        """How much 8 samples differ from each other, at the coarsest scale's size (their layouts)."""
        samples = tiny_model.sample(8, seed=0, variety=variety)
        return resize(samples, tiny_model.sizes[0]).std(dim=0).mean().item()

    assert spread(0.5) < spread(1.0) < spread(2.0)


def test_the_recipes_own_variety_is_the_default(tiny_model):
    tiny_model.config = dataclasses.replace(tiny_model.config, variety=2.0)
    assert torch.equal(tiny_model.sample(2, seed=0), tiny_model.sample(2, seed=0, variety=2.0))
    for wrong in (-0.1, 50):
        with pytest.raises(ValueError, match="variety must be between 0 and"):
            tiny_model.sample(seed=0, variety=wrong)


def test_start_scale_out_of_range(tiny_model):
    with pytest.raises(ValueError, match="start_scale must be between 0 and"):
        tiny_model.sample(start_scale=tiny_model.trained_scales)


def test_injection_keeps_the_training_size(tiny_model):
    out = tiny_model.inject(torch.zeros(1, 3, 77, 13), scale=1, seed=0)
    assert out.shape[-2:] == tiny_model.sizes[-1]
    with pytest.raises(ValueError, match="at least 1"):
        tiny_model.inject(TINY_IMAGE, scale=0)


def test_no_user_file_is_ever_unpickled():
    sources = "".join(p.read_text() for p in (ROOT / "singan_lite").rglob("*.py"))
    assert "torch.load(" not in sources and "import pickle" not in sources


def _rewrite(path, out, *, metadata=None, drop=None):
    tensors = load_file(str(path))
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        meta = dict(handle.metadata())
    meta.update(metadata or {})
    if drop:
        tensors = {k: v for k, v in tensors.items() if not k.startswith(drop)}
    save_file(tensors, str(out), metadata=meta)
    return out


def test_random_bytes_are_not_a_model(tmp_path):
    path = tmp_path / "junk.safetensors"
    path.write_bytes(b"\x00\x01garbage" * 100)
    with pytest.raises(ModelFileError, match="not a singan-lite model file"):
        SinGAN.load(path)


def test_truncated_file(tiny_model_path, tmp_path):
    path = tmp_path / "cut.safetensors"
    path.write_bytes(tiny_model_path.read_bytes()[:-1000])
    with pytest.raises(ModelFileError):
        SinGAN.load(path)


def test_foreign_safetensors_file(tmp_path):
    path = tmp_path / "other.safetensors"
    save_file({"weight": torch.zeros(2)}, str(path))
    with pytest.raises(ModelFileError, match="not a singan-lite model"):
        SinGAN.load(path)


def test_unknown_format_version(tiny_model_path, tmp_path):
    path = _rewrite(tiny_model_path, tmp_path / "v9.safetensors", metadata={"format_version": "9"})
    with pytest.raises(ModelFileError, match="format version 9"):
        SinGAN.load(path)


def test_missing_weights(tiny_model_path, tmp_path):
    path = _rewrite(tiny_model_path, tmp_path / "holes.safetensors", drop="generators.1.")
    with pytest.raises(ModelFileError, match="damaged or incomplete"):
        SinGAN.load(path)


def test_bad_config_json(tiny_model_path, tmp_path):
    path = _rewrite(tiny_model_path, tmp_path / "cfg.safetensors", metadata={"config": json.dumps({"speed": 1})})
    with pytest.raises(ModelFileError, match="unknown training settings"):
        SinGAN.load(path)


def test_format_version_is_written(tiny_model_path):
    from safetensors import safe_open

    with safe_open(str(tiny_model_path), framework="pt") as handle:
        assert handle.metadata()["format_version"] == str(FORMAT_VERSION)


def test_a_model_without_batch_norm_round_trips(tmp_path):
    model = train(TINY_IMAGE, tiny_config(batch_norm=False, iterations=3), device="cpu")
    again = SinGAN.load(model.save(tmp_path / "plain.safetensors"))
    assert again.config.batch_norm is False
    assert torch.equal(model.sample(2, seed=5), again.sample(2, seed=5))


def test_a_model_with_a_shallower_coarsest_generator_trains_round_trips_and_tiles(tmp_path):
    model = train(TINY_IMAGE, tiny_config(coarsest_convs=3, iterations=3), device="cpu")
    assert generator_convs(model)[:2] == [3, 5]
    again = SinGAN.load(model.save(tmp_path / "shallow.safetensors"))
    assert again.config.coarsest_convs == 3
    assert torch.equal(model.sample(2, seed=5), again.sample(2, seed=5))
    rng = make_rng(0)
    noise = [model.draw_noise(s, model.sizes[s], 1, rng) for s in range(model.trained_scales)]
    whole = model.synthesise(0, None, noise)
    assert torch.allclose(model.synthesise(0, None, noise, tile=4), whole, rtol=0, atol=1e-5)
