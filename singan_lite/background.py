"""Training in the background while the caller consumes its events: the app's Train tab.

On a CPU it trains in a spawned child process. Once two live threads of one process have
both run PyTorch operations, libgomp keeps two OpenMP thread teams on the same cores and
parks idle workers at once; waking them for each of training's many small operations makes
training in a web app's worker thread far slower than the library alone. A child process
has its own OpenMP runtime, so the app's other threads cannot slow it that way.
Why: docs/design.md#the-app

On a GPU the convolutions do not run on OpenMP, and ZeroGPU lends its GPU only to the
process that serves the request (a spawned child would not see it): there a thread trains.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from .config import TrainConfig
from .model import partial_path
from .training import ScaleEvent, TrainingEvent, train


@dataclass(frozen=True)
class TrainingEnded:
    """The last event: training finished or was stopped; `checkpoint` holds the finished scales."""

    trained_scales: int
    num_scales: int

    @property
    def is_complete(self) -> bool:
        return self.trained_scales == self.num_scales


@dataclass(frozen=True)
class _Failed:
    error: Exception


class TrainingDiedError(RuntimeError):
    """The training process ended without reporting, e.g. killed by the system for lack of memory."""


_IMAGES = ("real", "reconstruction", "sample")
# How long a child that was told to stop may take to finish its iteration and leave by itself.
# The app's cancel request waits for this, and Gradio's client gives up on it after 5 s.
_STOP_GRACE_SECONDS = 0.5


def _convert_images(item: object, convert: Callable[[Any], Any]) -> object:
    """A ScaleEvent with its images converted, e.g. tensor to numpy and back; other items as they are.

    A queue sends tensors as shared memory that the child must keep alive until the
    parent has read them, and the child may already have exited; arrays travel by value.
    """
    if not isinstance(item, ScaleEvent):
        return item
    return replace(item, **{name: convert(getattr(item, name)) for name in _IMAGES})


def _portable(error: Exception) -> Exception:
    """The error, if it can cross to the parent: the library's own errors (ValueError and kin) can."""
    return error if isinstance(error, ValueError) else RuntimeError(f"{type(error).__name__}: {error}")


def _train_and_report(
    image: torch.Tensor,
    config: TrainConfig,
    checkpoint: Path,
    device: torch.device,
    events: queue.Queue | multiprocessing.Queue,
    stop: threading.Event,
) -> None:
    def report(event: TrainingEvent) -> bool:
        events.put(_convert_images(event, torch.Tensor.numpy))
        return stop.is_set()

    try:
        model = train(image, config, checkpoint=checkpoint, on_event=report, device=device, threads="auto")
        events.put(TrainingEnded(model.trained_scales, model.num_scales))
    except Exception as error:  # re-raised by the consumer, in its own thread
        events.put(_Failed(_portable(error)))


def _exit_when_orphaned() -> None:
    """End this process once its parent is gone: a server killed on its own (`kill PID`, the
    system's out-of-memory killer) takes no daemon child with it, and the child would train
    on for no one, perhaps for hours.

    multiprocessing hands a spawned child a sentinel of its parent's, so joining the parent
    returns when the parent ends, without polling. The child exits at once, not after its iteration:
    nobody reads its events or its checkpoint any more, and a queue no one reads could
    block a clean exit for ever.
    """
    multiprocessing.parent_process().join()
    os._exit(0)


def _child_process(
    image: torch.Tensor,
    config: TrainConfig,
    checkpoint: Path,
    device: torch.device,
    events: multiprocessing.Queue,
    stop: threading.Event,
) -> None:
    """The child's whole life: train, flush the queue, and leave without the interpreter's teardown.

    With torch loaded the teardown is slow, and a stopped or cancelled run in the app
    would wait for it; once the queue is flushed nothing is left to clean up.
    """
    threading.Thread(target=_exit_when_orphaned, name="orphan-check", daemon=True).start()
    _train_and_report(image, config, checkpoint, device, events, stop)
    events.close()
    events.join_thread()
    os._exit(0)


def _next_item(
    events: queue.Queue | multiprocessing.Queue, worker: threading.Thread | multiprocessing.Process, wait: float
) -> object | None:
    """The next event, None after `wait` seconds without one, TrainingDiedError if the worker is gone.

    Whether the worker lived is read before the wait: a worker that had already ended had
    also flushed everything it sent, so an empty wait after that means nothing more comes.
    """
    was_alive = worker.is_alive()
    try:
        return _convert_images(events.get(timeout=wait), torch.from_numpy)
    except queue.Empty:
        if was_alive:
            return None
    code = getattr(worker, "exitcode", None)
    detail = "" if code is None else f" (exit code {code})"
    raise TrainingDiedError(
        f"training stopped unexpectedly{detail}, perhaps killed for lack of memory: try a smaller max size."
    )


def train_in_background(
    image: torch.Tensor,
    config: TrainConfig,
    checkpoint: Path,
    stop: threading.Event,
    device: torch.device,
    *,
    in_process: bool | None = None,
    poll_seconds: float = 0.2,
) -> Iterator[TrainingEvent | TrainingEnded]:
    """Yield the training events, then one TrainingEnded; the model is saved to `checkpoint` after each scale.

    Setting `stop` ends training after the current iteration, keeping the finished scales.
    Closing the iterator does too, but a child process that has not ended half a second
    later is terminated (the finished scales are in the checkpoint all the same).
    `in_process` (default: on a CPU) trains in a child process, started with spawn: as with
    any such code, a script must call this under `if __name__ == "__main__":`. The child
    also ends when this process is killed. Errors raised by training are raised here.
    """
    if in_process is None:
        in_process = device.type == "cpu"
    if in_process:
        context = multiprocessing.get_context("spawn")
        events, worker_stop = context.Queue(), context.Event()
        launch, target = context.Process, _child_process
    else:
        events, worker_stop = queue.Queue(), threading.Event()
        launch, target = threading.Thread, _train_and_report
    worker = launch(
        target=target,
        args=(image.cpu(), config, checkpoint, device, events, worker_stop),
        name="singan-train",
        daemon=True,
    )
    worker.start()
    try:
        while True:
            if stop.is_set():
                worker_stop.set()
            item = _next_item(events, worker, poll_seconds)
            if isinstance(item, _Failed):
                raise item.error
            if item is not None:
                yield item
            if isinstance(item, TrainingEnded):
                return
    finally:
        # Also reached when the consumer goes away: never train for no one. A child process
        # exits only once its queue is flushed, so read what it still sends.
        worker_stop.set()
        # A thread cannot be ended from outside: it is waited for until it sees the switch.
        deadline = time.monotonic() + (_STOP_GRACE_SECONDS if in_process else math.inf)
        while worker.is_alive() and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                events.get(timeout=poll_seconds)
        # A child still busy (one iteration of a fine `paper` scale takes many seconds, and
        # a starting child is still importing torch) is ended: its finished scales are
        # already in the checkpoint, which is replaced atomically, so nothing is lost.
        terminated = worker.is_alive()
        if terminated:
            worker.terminate()
        worker.join()
        if terminated:
            # Ended perhaps in the middle of a save; removed only now that the child is gone,
            # so that it cannot write the file again after this.
            partial_path(checkpoint).unlink(missing_ok=True)
