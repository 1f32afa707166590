"""The model registry: shipped models for everyone, trained and uploaded ones per browser session."""

import pytest

from demo.models import describe
from singan_lite import ModelFileError

from ..conftest import TINY_IMAGE


def test_registry_lists_shipped_models_and_loads_each_once(registry):
    assert registry.names() == ["mountains"]
    assert registry.default_name() == "mountains"
    first = registry.load("mountains")
    assert registry.load("mountains") is first
    assert "scales" in describe(first)


def test_registry_explains_unknown_and_missing_names(registry):
    with pytest.raises(ValueError, match="choose a model first"):
        registry.load(None)
    with pytest.raises(ValueError, match="no model called 'nope'"):
        registry.load("nope", {})


def test_uploaded_model_joins_only_its_session(registry, tiny_model_path):
    name, session = registry.import_upload({}, tiny_model_path)
    assert name == "tiny (uploaded)"
    assert registry.names(session) == ["mountains", name]
    assert registry.names() == ["mountains"]
    assert registry.load(name, session).trained_scales == registry.load("mountains").trained_scales
    again, session = registry.import_upload(session, tiny_model_path)
    assert again == "tiny (uploaded) #2"
    registry.discard(session)
    assert not any(registry.path(n, session).exists() for n in (name, again))


def test_upload_rejects_files_that_are_not_models(registry, tmp_path):
    with pytest.raises(ModelFileError, match="not a model file"):
        registry.import_upload({}, TINY_IMAGE)
    fake = tmp_path / "fake.safetensors"
    fake.write_bytes(b"not a model at all")
    with pytest.raises(ModelFileError, match="not a singan-lite model file"):
        registry.import_upload({}, fake)
    with pytest.raises(ModelFileError, match=r"choose a \.safetensors"):
        registry.import_upload({}, None)
