"""Images per hour of `train_many`: --jobs 1 and 2 on this machine, and on a simulated Ray cluster.

Four images from assets/images (autumn, dandelions, mountains, rocks), resized to 100 px on the
long side, trained with `fast` cut to 10 iterations per scale (scale 0: 80) to keep the runs short.
Each run starts in a fresh process with an empty output folder and is timed from the call of
`train_many` to its return, so the local Ray instance's start and stop are part of its time. The
simulated cluster (`ray.cluster_utils.Cluster`, nodes of one CPU each on this machine, on
loopback) is started before the clock starts, as a real cluster is running before the command.

    python -m benchmarks.train_many                      # every run: minutes on 2 busy cores
    python -m benchmarks.train_many --runs "--jobs 2"    # one of them
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from .common import ROOT, markdown_table, write_section

SECTION = "Training many images"
IMAGES = ("autumn", "dandelions", "mountains", "rocks")
LONG_SIDE = 100
SETTINGS = {"iterations": 10, "max_size": LONG_SIDE}


@dataclass(frozen=True)
class Run:
    where: str  # how the images run, for the table
    options: dict = field(default_factory=dict)  # train_many's
    block_ray: bool = False  # as if Ray were not installed
    nodes: int = 0  # simulated cluster nodes of one CPU (0: none)
    threads: int | None = None  # torch threads of this process (None: torch's default)


RUNS = {
    "--jobs 1": Run("this process, torch's default threads", {"jobs": 1}),
    "--jobs 1, 1 thread": Run("this process, 1 torch thread", {"jobs": 1}, threads=1),
    "--jobs 2": Run("local Ray instance, 2 tasks of 1 core", {"jobs": 2}),
    "--jobs 2, no Ray": Run("2 local processes of 1 thread", {"jobs": 2}, block_ray=True),
    "--ray, 1 node": Run("Ray cluster of 1 node x 1 CPU", nodes=1),
    "--ray, 2 nodes": Run("Ray cluster of 2 nodes x 1 CPU", nodes=2),
}


def make_images(folder: Path) -> None:
    for name in IMAGES:
        with Image.open(ROOT / "assets" / "images" / f"{name}.png") as image:
            image = image.convert("RGB")
            image.thumbnail((LONG_SIDE, LONG_SIDE))
            image.save(folder / f"{name}.png")


def run_one(name: str, folder: Path, out: Path) -> dict:
    """One run, in this (fresh) process; prints nothing but its result."""
    run = RUNS[name]
    if run.block_ray:
        sys.modules["ray"] = None
    # Ray traffic stays on loopback; Ray reads this when first imported.
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import torch

    from singan_lite import preset
    from singan_lite.many import train_many

    if run.threads is not None:
        torch.set_num_threads(run.threads)
    options = run.options
    cluster = None
    if run.nodes:
        from ray.cluster_utils import Cluster

        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
        for _ in range(run.nodes - 1):
            cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        options = {**options, "ray_address": cluster.address}
    load = os.getloadavg()[0]
    started = time.perf_counter()
    summary = train_many(folder, out, preset("fast", **SETTINGS), device="cpu", **options)
    seconds = time.perf_counter() - started
    if cluster is not None:
        cluster.shutdown()
    done = [record for record in summary.records if record.status == "done"]
    return {
        "load": load,
        "seconds": seconds,
        "done": len(done),
        "per_image": statistics.fmean(record.seconds for record in done),
        "scales": max(len(record.pyramid) for record in done),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", choices=list(RUNS), default=list(RUNS))
    parser.add_argument("--child", nargs=3, metavar=("RUN", "FOLDER", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, folder, out = args.child
        print(json.dumps(run_one(name, Path(folder), Path(out))))
        return

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "images"
        folder.mkdir()
        make_images(folder)
        baseline = None
        for name in args.runs:
            command = [sys.executable, "-m", "benchmarks.train_many", "--child", name, str(folder), f"{scratch}/{name}"]
            finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
            result = json.loads(finished.stdout.strip().splitlines()[-1])
            rate = result["done"] / result["seconds"] * 3600
            baseline = baseline or rate
            rows.append(
                [
                    f"`{name}`",
                    RUNS[name].where,
                    round(result["load"], 1),
                    result["done"],
                    round(result["seconds"], 1),
                    round(result["per_image"], 1),
                    round(rate),
                    f"{rate / baseline:.2f}",
                ]
            )
            print(rows[-1], file=sys.stderr)
    header = ["run", "where the images train", "load", "images", "wall s", "s per image", "images / hour", "vs first"]
    from singan_lite import preset

    coarsest = preset("fast", **SETTINGS).iterations_at(0, result["scales"])
    body = (
        f"{len(IMAGES)} images of {LONG_SIDE} px on the long side (up to {result['scales']} scales), `fast` "
        f"with {SETTINGS['iterations']} iterations per scale (scale 0: {coarsest}). Wall time from the call of "
        "`train_many` to its return, including a local Ray instance's start and stop; s per image is "
        "the mean of the manifest's per-image times. Load is the machine's 1-minute load average as the run "
        "started: other work on the machine slows every run, and runs with two threads per process far more "
        "than the load suggests ([docs/design.md](../docs/design.md#threads)):\n\n" + markdown_table(header, rows)
    )
    print(body)
    write_section(SECTION, body, "python -m benchmarks.train_many")


if __name__ == "__main__":
    main()
