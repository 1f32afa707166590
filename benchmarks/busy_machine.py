"""Training beside a CPU-bound neighbour: the time of a short `fast` run, idle and busy.

A laptop or a shared Space is never idle. Each thread setting trains the same short run
(100 px, 25 iterations per scale) in a fresh process, on an otherwise idle machine and
beside a neighbour: another process training with torch's default threads, as a second
training or the app's visitors would. Each is run `--runs` times and reported by its median.

    python -m benchmarks.busy_machine
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from statistics import median

from .common import ROOT, markdown_table, rerun_command, write_section

SETTINGS = ("auto", "default", "1")
LABELS = {"auto": "auto (tuned while running)", "default": "torch's default threads"}
RUN = """
import sys, time, torch
from singan_lite import preset, train
threads = sys.argv[1]
config = preset("fast", max_size=100, iterations=25, coarsest_iterations=1.0, seed={seed})
started = time.perf_counter()
train("assets/images/mountains.png", config, device="cpu",
      threads=None if threads == "default" else threads if threads == "auto" else int(threads))
print(time.perf_counter() - started)
"""


def timed_run(threads: str) -> float:
    """Seconds for the short run in a fresh process with this thread setting."""
    output = subprocess.run(
        [sys.executable, "-c", RUN.format(seed=0), threads], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return float(output.stdout.strip().splitlines()[-1])


def neighbour() -> subprocess.Popen:
    """Trains the same run again and again, with torch's default threads, until stopped."""
    loop = "while True:\n" + "\n".join("    " + line for line in RUN.format(seed=1).splitlines())
    return subprocess.Popen([sys.executable, "-c", loop, "default"], stdout=subprocess.DEVNULL, cwd=ROOT)


def busy_run(threads: str) -> float:
    """Seconds for the short run beside the neighbour."""
    busy_neighbour = neighbour()
    time.sleep(5)  # let the neighbour get past its imports and into training
    try:
        return timed_run(threads)
    finally:
        busy_neighbour.kill()
        busy_neighbour.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS), help="auto, default or a thread count")
    parser.add_argument("--runs", type=int, default=3, help="idle and busy runs of each setting, in turn")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1 (got {args.runs}).")
    times: dict[str, tuple[list[float], list[float]]] = {threads: ([], []) for threads in args.settings}
    # Settings take turns, run after run: how much the neighbour slows a run depends on which
    # of its scales it is at, and the machine's own pace drifts within the hour.
    for _ in range(args.runs):
        for threads in args.settings:
            idle, busy = times[threads]
            idle.append(timed_run(threads))
            busy.append(busy_run(threads))
            print(threads, round(idle[-1], 1), round(busy[-1], 1), flush=True)
    rows = []
    for threads, (idle, busy) in times.items():
        label = LABELS.get(threads, f"{threads} thread")
        spread = f"{min(busy):.1f} to {max(busy):.1f}"
        ratio = round(median(busy) / median(idle), 2)
        rows.append([label, round(median(idle), 1), round(median(busy), 1), spread, ratio])
    body = (
        f"A short `fast` run (100 px, 25 iterations per scale), each in a fresh process, on an idle "
        f"machine and beside a neighbour process training the same run with torch's default threads; "
        f"medians of {args.runs} runs of each, the settings taking turns.\n\n"
        + markdown_table(["threads", "idle s", "busy s", "busy s, all runs", "busy / idle"], rows)
    )
    write_section("Training on a busy machine", body, rerun_command("busy_machine", argv))
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
