from benchmarks.common import read_section
from benchmarks.estimate_accuracy import SECTION, main

from ..conftest import TINY_IMAGE


def test_the_estimates_stand_beside_the_measured_run(results):
    assert main(["--image", str(TINY_IMAGE), "--max-size", "40", "--iters", "2", "--probes", "1"]) == 0
    section = read_section(SECTION)
    (row,) = [line for line in section.splitlines() if line.startswith("| `fast`")]
    _, name, size, fitted, probed, measured, fitted_ratio, probed_ratio, _ = (cell.strip() for cell in row.split("|"))
    assert (name, size) == ("`fast`", "40x31") and fitted.isdigit()
    # Two probes (one before the run, one after), each an estimate in seconds or "busy".
    assert len(probed.split(", ")) == 2 and all(value == "busy" or value.isdigit() for value in probed.split(", "))
    assert measured.endswith("(projected from 2 a scale)")
    assert float(fitted_ratio) > 0 and (probed_ratio == "" or float(probed_ratio.split("-")[0]) > 0)
