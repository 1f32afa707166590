from benchmarks.common import read_section
from benchmarks.train_time import WHOLE_RUN, main

from ..conftest import TINY_IMAGE

TINY = ["--image", str(TINY_IMAGE), "--max-size", "40"]
PROBE = [*TINY, "--set", "min_size=16", "--iters", "2"]
# A whole run, of few iterations.
WHOLE = [*TINY, "--set", "min_size=16", "iterations=2", "coarsest_iterations=1.0"]


def _section_names(text: str) -> list[str]:
    return [line[3:] for line in text.splitlines() if line.startswith("## ")]


def test_a_probe_writes_its_presets_section_where_no_whole_run_is(results):
    assert main(PROBE) == 0
    (name,) = _section_names(results.read_text())
    assert name.startswith("Training cost, `fast` preset, ") and "iterations per scale" not in name
    assert "Measured with 2 iterations per scale" in read_section(name)


def test_a_probe_never_replaces_a_whole_run(results):
    assert main(WHOLE) == 0
    (whole,) = _section_names(results.read_text())
    assert WHOLE_RUN in read_section(whole)
    assert main(PROBE) == 0
    assert _section_names(results.read_text()) == [whole, f"{whole}, 2 iterations per scale"]
    assert WHOLE_RUN in read_section(whole)
