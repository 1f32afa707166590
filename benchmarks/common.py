"""What every benchmark shares: the machine's description and the RESULTS.md writer.

Each benchmark owns one section of benchmarks/RESULTS.md and rewrites only that
section, so the file always holds the latest run of each with its date and machine.
A section's hand-written notes go after a line `<!-- notes -->`; a re-run keeps them,
since they record what was tried and measured by hand, which the re-run cannot regenerate.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import torch

from singan_lite import SinGAN
from singan_lite.cli import main as cli
from singan_lite.metrics import SIFID_MISSING, evaluate, pixel_diversity, sifid_available
from singan_lite.speed import native_bf16

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
ROOT = Path(__file__).resolve().parent.parent
# The quality bar lives beside the project, never inside it; a copy can be pointed at.
SHARED_DATA = Path(os.environ.get("SINGAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
# The paper's diversity is the per-pixel spread of 100 samples. The spread of the 8 samples the
# other scores use is a population std of 8 draws, which reads low, so diversity draws its own 100.
DIVERSITY_SAMPLES = 100
DIVERSITY_BATCH = 10
# The line that opens a section's hand-written notes, which write_section keeps.
NOTES = "<!-- notes -->"
HEADER = "# Benchmark results\n\nWritten by the scripts in `benchmarks/`; each section says how to re-run it.\n"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    # Machines sold under one name differ in their vector instructions (an AMD EPYC may have AVX2
    # alone, or AVX-512 with bf16), and the bf16 presets run in bfloat16 only where the CPU has
    # native bf16: both change every speed, so a section names them.
    vectors = f", {torch.backends.cpu.get_cpu_capability()}"
    bf16 = ", native bf16" if native_bf16(torch.device("cpu")) else ""
    gpu = f", GPU {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""
    # Other work on the machine inflates every wall time; the load average says how much there was.
    load = os.getloadavg()[1]
    return (
        f"{os.cpu_count()} CPU cores ({cpu}{vectors}{bf16}){gpu}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, load average {load:.1f} over the last 5 minutes"
    )


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rerun_command(module: str, argv: list[str] | None) -> str:
    """The command line that re-runs benchmark `module` (e.g. "train_time") as it was run now."""
    return f"python -m benchmarks.{module} " + " ".join(argv if argv is not None else sys.argv[1:])


def report(name: str, summary: str, table: str, command: str) -> None:
    """Write a summary line and its table as the section `name` of RESULTS.md, and print both."""
    write_section(name, summary + "\n\n" + table, command)
    print(summary)
    print(table)


def write_section(name: str, body: str, command: str) -> None:
    """Replace (or add) the section `name` of RESULTS.md, stamped with date, machine and command.

    The section's notes, from a line `<!-- notes -->` to its end, stay below the new body.
    """
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    heading = f"<!-- {name} -->\n## {name}\n\n{stamp} on {machine()}.\nRe-run: `{command}`\n\n"
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    pattern = _section_pattern(name)
    old = found.group() if (found := pattern.search(text)) else ""
    # Notes hold what was tried and measured by hand, which no re-run can regenerate.
    marker = re.search(rf"^{re.escape(NOTES)}$", old, re.M)
    notes = "\n" + old[marker.start() : old.rindex(f"<!-- /{name} -->")] if marker else ""
    section = f"{heading}{body.strip()}\n{notes}<!-- /{name} -->\n"
    text = pattern.sub(lambda _: section, text) if found else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text)


def read_section(name: str) -> str | None:
    """The section `name` of RESULTS.md as written, or None if it has none."""
    text = RESULTS.read_text() if RESULTS.exists() else ""
    found = _section_pattern(name).search(text)
    return found.group() if found else None


def _section_pattern(name: str) -> re.Pattern[str]:
    """A section of RESULTS.md, from its opening marker to its closing one."""
    return re.compile(rf"<!-- {re.escape(name)} -->.*?<!-- /{re.escape(name)} -->\n", re.S)


def diversity_samples(model: SinGAN, seed: int, variety: float | None = None) -> torch.Tensor:
    """The DIVERSITY_SAMPLES samples from scale 0 that the paper's diversity is measured on.

    They are drawn in batches of DIVERSITY_BATCH, seeds `seed`, `seed` + 1, ..., to keep a 250 px
    model's memory at a few samples' worth while a batch runs.
    """
    batches = range(DIVERSITY_SAMPLES // DIVERSITY_BATCH)
    return torch.cat([model.sample(DIVERSITY_BATCH, seed=seed + batch, variety=variety) for batch in batches])


def paper_diversity(model: SinGAN, real: torch.Tensor, seed: int, variety: float | None = None) -> float:
    """The paper's diversity of a model's samples from scale 0 (`diversity_samples`) against `real`,
    the image at the size the model samples (a partly trained model samples a coarser scale).
    """
    return pixel_diversity(diversity_samples(model, seed, variety), real)


def evaluate_samples(model: SinGAN, samples: torch.Tensor, seed: int, variety: float | None = None) -> dict:
    """`metrics.evaluate` of a model's samples against its training image, with diversity the
    paper's measure (`paper_diversity`, from the same seed and variety) in place of the samples' own.
    """
    real = model.training_image()
    return {**evaluate(real, samples), "diversity": paper_diversity(model, real, seed, variety)}


def add_settings_option(parser: argparse.ArgumentParser) -> None:
    """`--set KEY=VALUE ...`: preset settings a benchmark run overrides (read with `parse_settings`)."""
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="override preset settings")


def add_without_sifid_option(parser: argparse.ArgumentParser) -> None:
    """`--without-sifid`: go on although SIFID cannot be scored here (read by `stop_without_sifid`)."""
    parser.add_argument(
        "--without-sifid", action="store_true", help="go on although SIFID cannot be computed here (it reads n/a)"
    )


def stop_without_sifid(parser: argparse.ArgumentParser, args: argparse.Namespace, later: str = "") -> None:
    """Stop before any work where SIFID cannot be scored, unless told `--without-sifid`.

    Said first, because otherwise the run (hours of training, for some) ends in tables whose SIFID
    reads n/a.
    `later` names how to add SIFID to the finished runs afterwards, where a benchmark can.
    """
    if not (args.without_sifid or sifid_available()):
        parser.error(f"{SIFID_MISSING}; or pass --without-sifid{later}")


def parse_settings(items: list[str]) -> dict:
    """`--set KEY=VALUE ...` as preset overrides; each value is JSON (a number, true, false, null)."""
    return {key: json.loads(value) for key, value in (item.split("=", 1) for item in items)}


def mean_of_given(values: Iterable[float | None]) -> float | None:
    """The mean of the scores a measure gave; None where it gave none (SIFID without its package,
    or on images too small for it)."""
    given = [value for value in values if value is not None]
    return statistics.fmean(given) if given else None


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    """A markdown table; floats to 4 significant digits, None (a measure with no score) as n/a."""

    def cell(value: object) -> str:
        if value is None:
            return "n/a"
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def run_command_measured(command: list[str]) -> dict[str, float]:
    """One `singan_lite` command in this process: its wall time and the process's peak memory.

    Benchmarks call it in a fresh child process, so the peak is that command's alone.
    """
    started = time.perf_counter()
    code = cli(command)
    seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(code)
    return {"seconds": seconds, "peak_mb": peak_memory_mb()}


def measure_in_child(command: list[str], log: Path | None = None) -> tuple[dict[str, float], str]:
    """Run one `singan_lite` command in a fresh process: its wall time and peak memory, and its stdout.

    A fresh process makes the peak that command's alone. `log` keeps the command's stderr (its
    progress bars), also when it fails.
    """
    child = [sys.executable, "-m", "benchmarks.common", *command]
    finished = subprocess.run(child, cwd=ROOT, capture_output=True, text=True)
    if log is not None:
        log.write_text(finished.stderr)
    if finished.returncode != 0:
        raise RuntimeError(f"`{' '.join(command)}` failed:\n{finished.stderr[-2000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1]), finished.stdout


if __name__ == "__main__":
    print(json.dumps(run_command_measured(sys.argv[1:])))
