import pytest

import benchmarks.common


@pytest.fixture()
def results(tmp_path, monkeypatch):
    """RESULTS.md as the benchmarks write it, in a temporary folder."""
    path = tmp_path / "RESULTS.md"
    monkeypatch.setattr(benchmarks.common, "RESULTS", path)
    return path
