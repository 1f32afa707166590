"""One model per image of a folder: `train_many` and the `train-many` command.

The output folder is the run's whole state: `<stem>.safetensors` per image (complete, or partial
with its finished scales), `<stem>_sample<k>.png` if asked, and `manifest.jsonl`, the log of
every attempt. A rerun reads the models, not the log: it skips complete models, resumes
partial ones from their last finished scale, and trains the rest. So a run stopped by Ctrl-C,
a crash or a lost machine is carried on by running the same command again.

Where the images train is many_engines.py's job: in this process (`jobs=1`), as Ray tasks (a
cluster, or a local Ray instance for `jobs > 1`), or in local processes when Ray is not installed.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .config import PRESETS, TrainConfig, preset, preset_with_options
from .imaging import image_files, load_image
from .many_engines import (
    RAY_HINT,
    Engine,
    ImageJob,
    InProcess,
    LocalProcesses,
    Outcome,
    RayTasks,
    Status,
    one_line,
    ray_connected,
    ray_installed,
    sample_paths,
    write_samples,
)
from .model import SinGAN
from .training import pyramid_for, resolve_device

MANIFEST = "manifest.jsonl"


@dataclass(frozen=True)
class ImageRecord:
    """One line of manifest.jsonl: what one attempt at one image came to."""

    image: str  # the file's name in the image folder
    model: str | None  # the model's file name in the output folder (None: there is none)
    status: Status  # done, failed, skipped (already complete) or interrupted
    seconds: float  # this attempt's time
    pyramid: list[list[int]]  # the scale sizes, coarsest first ([] if the image could not be read)
    scales: int  # trained scales in the model file
    resumed_from: int  # trained scales when this attempt began (0: a new model)
    error: str | None  # failed: the exception's type and the first line of its message
    preset: str
    timestamp: str  # when the attempt ended, UTC, ISO 8601
    samples: list[str] = field(default_factory=list)  # sample files written by this attempt


# Return True to stop: the images in flight are interrupted (keeping their finished scales).
ProgressCallback = Callable[[ImageRecord], bool | None]


@dataclass
class ManySummary:
    """Every record of one `train_many` run, in the order the images finished."""

    records: list[ImageRecord]
    stopped: bool = False  # on_progress asked to stop

    def count(self, status: Status) -> int:
        return sum(record.status == status for record in self.records)

    @property
    def failed(self) -> list[ImageRecord]:
        return [record for record in self.records if record.status == "failed"]


def find_images(folder: str | Path) -> list[Path]:
    """The folder's image files, sorted by name; two that would share a model file are an error."""
    files = image_files(folder)
    by_stem: dict[str, Path] = {}
    for path in files:
        if path.stem in by_stem:
            raise ValueError(
                f"'{by_stem[path.stem].name}' and '{path.name}' would both be saved as {path.stem}.safetensors; "
                "rename one of them."
            )
        by_stem[path.stem] = path
    return files


def read_manifest(out_dir: str | Path) -> list[dict]:
    """Every record in OUT_DIR/manifest.jsonl, oldest first; an image's last record is its state.

    A line cut short by a crash mid-write is left out.
    """
    records = []
    for line in (Path(out_dir) / MANIFEST).read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def _append_to_manifest(path: Path, record: ImageRecord) -> None:
    # One short write per line, flushed to disk, so a crash loses at most the line being written.
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(dataclasses.asdict(record)) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _record(
    image: Path | str,
    model_path: Path,
    config: TrainConfig,
    status: Status,
    *,
    pyramid: Iterable[tuple[int, int]] = (),
    scales: int = 0,
    resumed_from: int = 0,
    seconds: float = 0.0,
    error: str | None = None,
    samples: Iterable[str] = (),
) -> ImageRecord:
    return ImageRecord(
        image=Path(image).name,
        model=model_path.name if model_path.exists() else None,
        status=status,
        seconds=round(seconds, 2),
        pyramid=[list(size) for size in pyramid],
        scales=scales,
        resumed_from=resumed_from,
        error=error,
        preset=config.preset,
        timestamp=_now(),
        samples=list(samples),
    )


def _from_outcome(outcome: Outcome) -> ImageRecord:
    job = outcome.job
    return _record(
        job.image,
        job.model_path,
        job.config,
        outcome.status,
        pyramid=job.pyramid,
        scales=outcome.scales,
        resumed_from=job.scales_done,
        seconds=outcome.seconds,
        error=outcome.error,
        samples=outcome.samples,
    )


def _plan(image: Path, out_dir: Path, config: TrainConfig, samples: int) -> ImageJob | ImageRecord:
    """What one image needs: a job (a new model, or one to carry on), or a record (skipped, failed).

    The image is read here, on the driver, so a corrupt or too-small file fails at once,
    with its own path in the message, before any worker is given it.
    """
    model_path = out_dir / f"{image.stem}.safetensors"
    job = ImageJob(image.name, image, model_path, config, pyramid=(), samples=samples)
    try:
        return _carry_on(job) if model_path.exists() else _start(job)
    except Exception as error:
        return _record(image, model_path, config, "failed", error=one_line(error))


def _start(job: ImageJob) -> ImageJob:
    plan = pyramid_for(job.config, *load_image(job.source).shape[-2:])
    return dataclasses.replace(job, pyramid=tuple(plan.sizes))


def _carry_on(job: ImageJob) -> ImageJob | ImageRecord:
    """Resume a partial model, or skip a complete one (writing any samples it lacks)."""
    model = SinGAN.load(job.model_path)
    if model.config != job.config:
        raise ValueError(
            f"{job.model_path.name} was trained with other settings (preset {model.config.preset}, "
            f"max size {model.config.max_size}, {model.config.iterations} iterations); "
            "delete it or choose another output folder."
        )
    if not model.is_complete:
        scales = model.trained_scales
        return dataclasses.replace(job, pyramid=tuple(model.sizes), resume=job.model_path, scales_done=scales)
    written = () if all(path.exists() for path in sample_paths(job)) else write_samples(model, job)
    scales = model.num_scales
    return _record(
        job.image,
        job.model_path,
        job.config,
        "skipped",
        pyramid=model.sizes,
        scales=scales,
        resumed_from=scales,
        samples=written,
    )


def _choose_engine(jobs: int | None, ray_address: str | None, device: str) -> Engine:
    """Ray for a cluster, for a process already connected to Ray, or for several jobs when Ray is
    installed; this process for one job; local processes for several without Ray.
    """
    if ray_address is not None or ray_connected() or ((jobs or 1) > 1 and ray_installed()):
        return RayTasks(ray_address, jobs, device)
    resolve_device(device)  # CUDA asked for on a machine without it: say so before any work
    if (jobs or 1) == 1:
        return InProcess(device)
    return LocalProcesses(jobs, device)


def _records(engine: Engine, planned: Iterator[ImageJob | ImageRecord]) -> Iterator[ImageRecord]:
    """Records in the order images finish, keeping the engine full and planning images only as
    they are needed."""
    for item in planned:
        if isinstance(item, ImageRecord):
            yield item
            continue
        while engine.busy() >= engine.capacity:
            yield _from_outcome(engine.next_outcome())
        engine.submit(item)
    while engine.busy():
        yield _from_outcome(engine.next_outcome())


def train_many(
    folder: str | Path,
    out_dir: str | Path,
    config: TrainConfig | str = "fast",
    *,
    jobs: int | None = None,
    ray_address: str | None = None,
    samples: int = 0,
    device: str = "auto",
    on_progress: ProgressCallback | None = None,
) -> ManySummary:
    """Train one model per image of `folder` into `out_dir`, carrying on from what is there.

    `config` is a TrainConfig or a preset's name. `jobs` is the number of images trained at
    once: 1 (the default) trains here, one after another; more start a local Ray instance with
    that many tasks (each with its share of the cores as torch threads), or worker processes if
    Ray is not installed. `ray_address` ("auto", or the head's "host:6379") runs the
    images as tasks on that cluster instead, by default one per node. A process already
    connected to Ray (ray.init) uses that connection. A task gets a GPU, or a share of one,
    when the cluster has GPUs and `device` is not "cpu".

    Each finished image is appended to `out_dir/manifest.jsonl` and passed to `on_progress`.
    A bad image is recorded as failed and the others carry on. Ctrl-C (KeyboardInterrupt)
    records the images in flight as interrupted, keeping their finished scales, and is raised
    again; so is any other exception after the same clean-up.
    """
    folder, out_dir = Path(folder), Path(out_dir)
    if isinstance(config, str):
        config = preset(config)
    if jobs is not None and jobs < 1:
        raise ValueError(f"jobs must be at least 1 (got {jobs}).")
    if samples < 0:
        raise ValueError(f"samples must be 0 or more (got {samples}).")
    images = find_images(folder)
    if out_dir.resolve() == folder.resolve():
        raise ValueError("the output folder must not be the image folder: its sample images would be trained next.")
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = out_dir / MANIFEST
    summary = ManySummary([])

    def keep(record: ImageRecord) -> bool:
        summary.records.append(record)
        _append_to_manifest(manifest, record)
        return bool(on_progress is not None and on_progress(record))

    engine = _choose_engine(jobs, ray_address, device)
    try:
        planned = (_plan(image, out_dir, config, samples) for image in images)
        for record in _records(engine, planned):
            if keep(record):
                summary.stopped = True
                break
        if summary.stopped:
            for outcome in engine.interrupt():
                keep(_from_outcome(outcome))
    except BaseException:
        for outcome in engine.interrupt():
            keep(_from_outcome(outcome))
        raise
    finally:
        engine.close()
    return summary


# ----- the `train-many` command ----------------------------------------------------------------


def _report(bar: tqdm, record: ImageRecord) -> None:
    """One line per finished image above the bar over the folder's images."""
    line = f"{record.status:<11} {record.image}  {record.scales}/{len(record.pyramid)} scales  {record.seconds:.0f} s"
    bar.write(line + (f"  {record.error}" if record.error else ""))
    bar.update(1)


def _config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The preset with the options that were given; options left out keep the preset's value."""
    return preset_with_options(
        args.preset, seed=args.seed, max_size=args.max_size, min_size=args.min_size, iterations=args.iters
    )


def run_train_many(args: argparse.Namespace) -> int:
    """`train-many`: 0 when every image is done or skipped, 1 when any failed, 130 on Ctrl-C."""
    config = _config_from_args(args)
    if args.ray is None and (args.jobs or 1) > 1 and not ray_installed():
        print(
            f"Ray is not installed: training {args.jobs} images at once in local processes ({RAY_HINT})",
            file=sys.stderr,
        )
    try:
        with tqdm(total=len(find_images(args.folder)), desc="images", unit="image") as bar:
            summary = train_many(
                args.folder,
                args.output,
                config,
                jobs=args.jobs,
                ray_address=args.ray,
                samples=args.samples,
                device=args.device,
                on_progress=functools.partial(_report, bar),
            )
    except KeyboardInterrupt:
        print(
            "interrupted: finished models and scales are saved; run the same command again to carry on", file=sys.stderr
        )
        return 130
    counts = ", ".join(f"{summary.count(status)} {status}" for status in ("done", "skipped", "failed"))
    print(f"{counts}; manifest: {Path(args.output) / MANIFEST}")
    return 1 if summary.failed else 0


def _whole_number(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.lstrip("-").isdigit() or int(text) < minimum:
            raise argparse.ArgumentTypeError(f"give a whole number of at least {minimum} (got '{text}')")
        return int(text)

    return parse


def add_train_many_command(commands: argparse._SubParsersAction) -> None:
    many = commands.add_parser(
        "train-many", help="train one model per image of a folder, here or on a Ray cluster; reruns carry on"
    )
    many.add_argument("folder", help="folder of images (PNG, JPEG, WebP, BMP, TIFF; not its subfolders)")
    many.add_argument("-o", "--output", required=True, help="folder for <name>.safetensors and manifest.jsonl")
    many.add_argument("--preset", choices=sorted(PRESETS), default="fast", help="as for train (default: fast)")
    many.add_argument("--max-size", type=int, help="the finest scale's long side (overrides the preset)")
    many.add_argument("--min-size", type=int, help="the coarsest scale's short side (overrides the preset)")
    many.add_argument("--iters", type=int, help="iterations per scale (overrides the preset)")
    many.add_argument("--seed", type=int, default=0)
    many.add_argument("--device", default="auto", help="auto, cpu or cuda")
    many.add_argument("--samples", type=_whole_number(0), default=0, metavar="K", help="write K samples per model")
    many.add_argument(
        "--jobs",
        type=_whole_number(1),
        metavar="N",
        help="images trained at once (default: 1 here, one per node with --ray)",
    )
    many.add_argument(
        "--ray", metavar="ADDRESS", help="run on this Ray cluster ('auto': the one this machine has joined)"
    )
    many.set_defaults(run=run_train_many)
