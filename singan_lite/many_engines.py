"""Where `train_many`'s images train: in this process, in local worker processes, or as Ray tasks.

Every engine trains with the same `train_scales` and hands back one `Outcome` per image, so
`train_many` (many.py) plans the images and writes the manifest without knowing which engine
ran them. Each engine keeps at most `capacity` images in flight; the rest wait in the folder,
not in a queue, so a run of thousands of images holds only a few in memory.

A model file is only ever replaced whole (written to a temporary name, then renamed), by
whoever holds the files: the worker on this machine, or the driver for Ray tasks, which may
run on machines that see neither the image folder nor the output folder.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import torch

from .config import TrainConfig
from .imaging import load_image, save_image
from .model import ModelFileError, SinGAN, partial_path
from .training import ScaleEvent, train

Status = Literal["done", "failed", "skipped", "interrupted"]

RAY_HINT = 'pip install "singan-lite[cluster]" installs Ray'


@dataclass(frozen=True)
class ImageJob:
    """One image to train: everything a worker needs, picklable, with no open handles."""

    image: str  # the file's name, as the manifest shows it
    source: Path | bytes  # the image file, or its bytes for a worker that may not see the file
    model_path: Path  # where the model goes, on the machine that writes the files
    config: TrainConfig
    pyramid: tuple[tuple[int, int], ...]
    resume: Path | bytes | None = None  # the partial model to carry on from
    scales_done: int = 0  # the resumed model's trained scales
    samples: int = 0
    device: str = "auto"
    threads: int | None = None  # torch threads for this image (None: leave the process's setting)


@dataclass(frozen=True)
class Outcome:
    """What became of one image's attempt."""

    job: ImageJob
    status: Status
    scales: int  # trained scales now on disk
    seconds: float
    error: str | None = None
    samples: tuple[str, ...] = ()


def one_line(error: BaseException) -> str:
    """The manifest's error: the exception's type and the first line of its message."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def ray_installed() -> bool:
    return importlib.util.find_spec("ray") is not None


def ray_connected() -> bool:
    """Whether this process is already connected to Ray (the caller ran ray.init)."""
    ray = sys.modules.get("ray")
    return ray is not None and ray.is_initialized()


# ----- the work itself, wherever it runs -----------------------------------------------------


def _load_model(saved: Path | bytes) -> SinGAN:
    if isinstance(saved, Path):
        return SinGAN.load(saved)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.safetensors"
        path.write_bytes(saved)
        return SinGAN.load(path)


def model_bytes(model: SinGAN) -> bytes:
    """The model file's contents, written and read back through a temporary file."""
    with tempfile.TemporaryDirectory() as folder:
        return model.save(Path(folder) / "model.safetensors").read_bytes()


def write_model_bytes(path: Path, data: bytes) -> None:
    """Write a model file whole: to its partial name first, as SinGAN.save does, then rename."""
    partial = partial_path(path)
    partial.write_bytes(data)
    os.replace(partial, path)


def sample_paths(job: ImageJob) -> list[Path]:
    """`<stem>_sample<k>.png` beside the model."""
    return [job.model_path.with_name(f"{job.model_path.stem}_sample{k}.png") for k in range(job.samples)]


def write_samples(model: SinGAN, job: ImageJob) -> tuple[str, ...]:
    """The job's samples, seeded: writing them again gives the same pixels."""
    paths = sample_paths(job)
    if not paths:
        return ()
    for path, image in zip(paths, model.sample(len(paths), seed=model.config.seed), strict=True):
        partial = path.with_name(f"{path.stem}.partial.png")  # PIL picks the format from the suffix
        save_image(image, partial)
        os.replace(partial, path)
    return tuple(path.name for path in paths)


def train_scales(job: ImageJob, should_stop: Callable[[], bool] | None = None) -> Iterator[bytes]:
    """Train the job's image one scale at a time; yield the model file's bytes after each scale.

    Every scale starts from the model file the last one yielded, exactly as a resumed run starts
    from the file on disk, so a run that was stopped and carried on ends with the same model as
    one that never stopped. Returns early, without the scale in progress, once `should_stop` says so.
    """
    if job.threads is not None:
        torch.set_num_threads(job.threads)
    model = None if job.resume is None else _load_model(job.resume)
    image = load_image(job.source) if model is None else None

    def stop_after_scale(event: object) -> bool:
        return isinstance(event, ScaleEvent) or (should_stop is not None and should_stop())

    while model is None or not model.is_complete:
        before = 0 if model is None else model.trained_scales
        model = train(image, job.config, resume=model, on_event=stop_after_scale, device=job.device)
        if model.trained_scales == before:
            return
        data = model_bytes(model)
        yield data
        model = _load_model(data)


# Set in each local worker process by `_start_worker`: the driver's request to stop.
_STOP_EVENT: Any = None


def _start_worker(stop_event: Any) -> None:
    """Local workers leave Ctrl-C to the driver, which stops them through the event: a
    terminal's Ctrl-C reaches every process of the group, and a worker interrupted mid-step
    could not report which scales it saved.
    """
    global _STOP_EVENT
    _STOP_EVENT = stop_event
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop_requested() -> bool:
    return _STOP_EVENT is not None and _STOP_EVENT.is_set()


def train_into_folder(job: ImageJob) -> Outcome:
    """Train one image and write its model (after every scale) and samples; runs where the files are.

    A bad image becomes a failed outcome, never an exception, so the other images carry on.
    """
    started = time.perf_counter()
    scales = job.scales_done
    try:
        for data in train_scales(job, _stop_requested):
            write_model_bytes(job.model_path, data)
            scales += 1
        if scales < len(job.pyramid):
            return Outcome(job, "interrupted", scales, time.perf_counter() - started)
        samples = write_samples(SinGAN.load(job.model_path), job)
    except Exception as error:
        return Outcome(job, "failed", scales, time.perf_counter() - started, one_line(error))
    return Outcome(job, "done", scales, time.perf_counter() - started, samples=samples)


def ray_train_task(job: ImageJob) -> Iterator[bytes]:
    """The Ray task: stream the model file back after every finished scale; the driver writes it."""
    yield from train_scales(job)


def saved_scales(path: Path) -> int:
    """Trained scales in the model file at `path`; 0 when there is none."""
    try:
        return SinGAN.load(path).trained_scales
    except ModelFileError:
        return 0


# ----- engines -------------------------------------------------------------------------------


class Engine(Protocol):
    capacity: int  # images in flight at once

    def submit(self, job: ImageJob) -> None: ...

    def busy(self) -> int: ...

    def next_outcome(self) -> Outcome:
        """Wait until one image in flight is finished."""

    def interrupt(self) -> list[Outcome]:
        """Stop every image in flight, keeping their finished scales; one outcome each."""

    def close(self) -> None: ...


def _interrupted(job: ImageJob, started: float) -> Outcome:
    return Outcome(job, "interrupted", saved_scales(job.model_path), time.perf_counter() - started)


class InProcess:
    """One image at a time in this process, with the process's own thread setting."""

    capacity = 1

    def __init__(self, device: str) -> None:
        self.device = device
        self.current: tuple[ImageJob, float] | None = None

    def submit(self, job: ImageJob) -> None:
        self.current = (dataclasses.replace(job, device=self.device), time.perf_counter())

    def busy(self) -> int:
        return int(self.current is not None)

    def next_outcome(self) -> Outcome:
        outcome = train_into_folder(self.current[0])
        self.current = None
        return outcome

    def interrupt(self) -> list[Outcome]:
        # Ctrl-C has already stopped the image in flight; what it saved is on disk.
        outcomes = [] if self.current is None else [_interrupted(*self.current)]
        self.current = None
        return outcomes

    def close(self) -> None:
        pass


def cpu_cores() -> int:
    """The cores this process may use (a container or taskset may allow fewer than the machine has)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class LocalProcesses:
    """`jobs` worker processes on this machine, each with its share of the cores as torch threads.

    The fallback when Ray is not installed. 'spawn' rather than 'fork': a forked copy of a
    process that has already run torch's thread pools can hang.
    """

    def __init__(self, jobs: int, device: str) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.stop_event = self.context.Event()
        self.capacity = jobs
        self.pool = self._new_pool()
        self.threads = max(1, cpu_cores() // jobs)
        self.device = device
        self.futures: dict[Future, tuple[ImageJob, float]] = {}

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.capacity, mp_context=self.context, initializer=_start_worker, initargs=(self.stop_event,)
        )

    def submit(self, job: ImageJob) -> None:
        job = dataclasses.replace(job, device=self.device, threads=self.threads)
        try:
            future = self.pool.submit(train_into_folder, job)
        except BrokenProcessPool:
            # A worker died (its images are recorded failed): the others carry on in a new pool.
            self.pool.shutdown(wait=False)
            self.pool = self._new_pool()
            future = self.pool.submit(train_into_folder, job)
        self.futures[future] = (job, time.perf_counter())

    def busy(self) -> int:
        return len(self.futures)

    def _result(self, future: Future) -> Outcome:
        job, started = self.futures.pop(future)
        try:
            return future.result()
        except Exception as error:  # a worker process died: out of memory, or killed
            return Outcome(job, "failed", saved_scales(job.model_path), time.perf_counter() - started, one_line(error))

    def next_outcome(self) -> Outcome:
        done, _ = wait(self.futures, return_when=FIRST_COMPLETED)
        return self._result(next(iter(done)))

    def interrupt(self) -> list[Outcome]:
        self.stop_event.set()
        for future in list(self.futures):
            if future.cancel():  # never started: nothing to record
                del self.futures[future]
        # Each worker stops within one iteration and reports what it saved.
        return [self._result(future) for future in list(self.futures)]

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


@dataclass(frozen=True)
class RayShares:
    """What each Ray task asks for, and how many fit in the cluster at once."""

    jobs: int
    cpus: int
    gpus: float
    slots: int

    @classmethod
    def plan(cls, nodes: list[dict[str, float]], jobs: int | None, device: str) -> RayShares:
        """Split the cluster's cores (and GPUs) between `jobs` images (default: one per node).

        A task never asks for more cores than the smallest node has, or that node would sit idle.
        """
        cores = [int(node.get("CPU", 0)) for node in nodes if node.get("CPU", 0) >= 1]
        if not cores:
            raise ValueError("the Ray cluster has no CPUs to train on.")
        jobs = jobs or len(cores)
        cpus = max(1, min(min(cores), sum(cores) // jobs))
        slots = sum(count // cpus for count in cores)
        gpu_total = sum(node.get("GPU", 0) for node in nodes)
        if device.startswith("cuda") and gpu_total == 0:
            raise ValueError("--device cuda, but the Ray cluster has no GPUs; use --device auto or cpu.")
        gpus = 0.0
        if device != "cpu" and gpu_total > 0:
            # Several images share a GPU when there are more jobs than GPUs: the networks are far
            # too small to keep one busy (docs/design.md#on-a-gpu). Ray takes 4 decimals.
            gpus = 1.0 if gpu_total >= jobs else math.floor(gpu_total / jobs * 10_000) / 10_000
            slots = min(slots, math.floor(gpu_total / gpus))
        return cls(jobs, cpus, gpus, slots)


def import_ray(local_instance: bool) -> Any:
    """Import Ray, or say how to install it."""
    if local_instance and "ray" not in sys.modules:
        # A local instance serves this process alone: it listens on loopback only, which Ray
        # decides from this switch when it is first imported. Its usage statistics stay off.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError as error:
        raise ValueError(f"a Ray cluster needs Ray: {RAY_HINT}.") from error
    return ray


@dataclass
class _RayAttempt:
    job: ImageJob
    started: float
    scales: int


class RayTasks:
    """One Ray task per image: on the cluster at `address`, on the one this process is connected
    to, or on a local instance with `jobs` images at once.

    Tasks get the image's bytes and stream the model back after every scale, so the workers
    need no shared file system. A task whose worker is lost is not retried: its image is
    recorded failed, and the next run resumes it from the last scale that came back.
    """

    def __init__(self, address: str | None, jobs: int | None, device: str) -> None:
        local_instance = address is None and not ray_connected()
        ray = import_ray(local_instance)
        self.ray = ray
        self.started_ray = not ray.is_initialized()
        if local_instance:
            ray.init(num_cpus=max(cpu_cores(), jobs or 1), include_dashboard=False, logging_level="WARNING")
        elif self.started_ray:
            try:
                ray.init(address=address, logging_level="WARNING")
            except ConnectionError as error:
                raise ValueError(
                    f"no Ray cluster at '{address}' ({one_line(error)}): start one with `ray start --head`, "
                    "or leave out --ray to train on this machine."
                ) from error
        try:
            nodes = [node["Resources"] for node in ray.nodes() if node["Alive"]]
            self.shares = RayShares.plan(nodes, jobs, device)
        except BaseException:
            self.close()
            raise
        self.capacity = self.shares.slots
        self.device = "cuda" if self.shares.gpus else "cpu"
        self.task = ray.remote(ray_train_task).options(
            num_cpus=self.shares.cpus, num_gpus=self.shares.gpus, max_retries=0
        )
        self.in_flight: dict[Any, _RayAttempt] = {}

    def submit(self, job: ImageJob) -> None:
        resume = job.resume.read_bytes() if isinstance(job.resume, Path) else job.resume
        source = job.source.read_bytes() if isinstance(job.source, Path) else job.source
        remote = dataclasses.replace(job, source=source, resume=resume, device=self.device, threads=self.shares.cpus)
        self.in_flight[self.task.remote(remote)] = _RayAttempt(job, time.perf_counter(), job.scales_done)

    def busy(self) -> int:
        return len(self.in_flight)

    def _advance(self, stream: Any) -> Outcome | None:
        """Take the next item of a task's stream: write a finished scale, or end the image."""
        attempt = self.in_flight[stream]
        seconds = time.perf_counter() - attempt.started
        try:
            data = self.ray.get(next(stream))
        except StopIteration:
            del self.in_flight[stream]
            if attempt.scales < len(attempt.job.pyramid):
                return Outcome(attempt.job, "interrupted", attempt.scales, seconds)
            try:
                samples = write_samples(SinGAN.load(attempt.job.model_path), attempt.job)
            except Exception as error:
                return Outcome(attempt.job, "failed", attempt.scales, seconds, one_line(error))
            return Outcome(attempt.job, "done", attempt.scales, seconds, samples=samples)
        except self.ray.exceptions.RayError as error:
            del self.in_flight[stream]
            cause = getattr(error, "cause", None) or error  # the task's own exception, if it raised one
            return Outcome(attempt.job, "failed", attempt.scales, seconds, one_line(cause))
        write_model_bytes(attempt.job.model_path, data)
        attempt.scales += 1
        return None

    def next_outcome(self) -> Outcome:
        while True:
            ready, _ = self.ray.wait(list(self.in_flight), num_returns=1)
            outcome = self._advance(ready[0])
            if outcome is not None:
                return outcome

    def interrupt(self) -> list[Outcome]:
        outcomes = []
        for stream in list(self.in_flight):
            # Keep the scales that have already come back before the task is cancelled.
            while stream in self.in_flight and self.ray.wait([stream], timeout=0)[0]:
                outcome = self._advance(stream)
                if outcome is not None:
                    outcomes.append(outcome)
            if stream in self.in_flight:
                attempt = self.in_flight.pop(stream)
                self.ray.cancel(stream)
                seconds = time.perf_counter() - attempt.started
                outcomes.append(Outcome(attempt.job, "interrupted", attempt.scales, seconds))
        return outcomes

    def close(self) -> None:
        if self.started_ray:
            self.ray.shutdown()
