"""Training in the background: a child process on a CPU (a thread on request), as the Train tab runs it."""

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from singan_lite import IterationEvent, ScaleEvent, SinGAN, load_image
from singan_lite.background import TrainingDiedError, TrainingEnded, train_in_background
from singan_lite.model import partial_path

from .conftest import TINY_IMAGE, tiny_config

CPU = torch.device("cpu")


def _training_children() -> list[multiprocessing.Process]:
    return [child for child in multiprocessing.active_children() if child.name == "singan-train"]


@pytest.mark.parametrize("in_process", [True, False], ids=["process", "thread"])
def test_events_arrive_in_order_and_the_checkpoint_holds_the_model(tmp_path, in_process):
    checkpoint = tmp_path / "model.safetensors"
    config = tiny_config(iterations=3)
    events = list(
        train_in_background(load_image(TINY_IMAGE), config, checkpoint, threading.Event(), CPU, in_process=in_process)
    )
    ended = events[-1]
    model = SinGAN.load(checkpoint)
    assert isinstance(ended, TrainingEnded) and ended.trained_scales == ended.num_scales == model.num_scales
    scales = [event.scale for event in events if isinstance(event, ScaleEvent)]
    assert scales == list(range(model.num_scales))
    iterations = [event for event in events if isinstance(event, IterationEvent)]
    assert len(iterations) == sum(config.iterations_at(s, model.num_scales) for s in range(model.num_scales))
    assert events[0] == iterations[0] and (iterations[0].scale, iterations[0].iteration) == (0, 1)
    # The snapshots travel whole: the sample of the last scale has the model's full size.
    assert events[-2].sample.shape[-2:] == model.real.shape[-2:]
    assert not _training_children()


def test_stop_keeps_the_finished_scales(tmp_path):
    checkpoint, stop = tmp_path / "model.safetensors", threading.Event()
    for event in train_in_background(load_image(TINY_IMAGE), tiny_config(iterations=40), checkpoint, stop, CPU):
        if isinstance(event, ScaleEvent):
            stop.set()
    assert isinstance(event, TrainingEnded)
    assert 1 <= event.trained_scales < event.num_scales
    assert SinGAN.load(checkpoint).trained_scales == event.trained_scales


def test_closing_the_iterator_ends_the_child_process(tmp_path):
    events = train_in_background(
        load_image(TINY_IMAGE), tiny_config(iterations=500), tmp_path / "m.safetensors", threading.Event(), CPU
    )
    next(events)
    assert len(_training_children()) == 1
    events.close()
    assert not _training_children()


def test_closing_does_not_wait_for_a_long_iteration_to_end(tmp_path):
    # One iteration at this size and width takes seconds: the app's cancel request would
    # time out waiting for it, so the child is ended instead (its finished scales are saved).
    slow = tiny_config(min_size=100, max_size=140, base_width=128, iterations=5)
    checkpoint = tmp_path / "m.safetensors"
    events = train_in_background(load_image(TINY_IMAGE), slow, checkpoint, threading.Event(), CPU)
    next(events)
    (child,) = _training_children()
    # What a child ended in the middle of a save would leave behind.
    half_written = partial_path(checkpoint)
    half_written.write_bytes(b"half a model")
    events.close()
    assert child.exitcode == -signal.SIGTERM
    assert not half_written.exists()


def test_an_error_in_the_child_is_raised_in_the_caller(tmp_path):
    # Legal to construct; fails in the child when the pyramid is planned.
    impossible = tiny_config(scale_factor=1.5)
    with pytest.raises(ValueError, match="scale_factor must be between 0 and 1"):
        list(
            train_in_background(load_image(TINY_IMAGE), impossible, tmp_path / "m.safetensors", threading.Event(), CPU)
        )


def test_a_killed_child_is_reported_not_waited_for(tmp_path):
    events = train_in_background(
        load_image(TINY_IMAGE), tiny_config(iterations=500), tmp_path / "m.safetensors", threading.Event(), CPU
    )
    next(events)
    (child,) = _training_children()
    child.kill()
    with pytest.raises(TrainingDiedError, match="lack of memory: try a smaller max size"):
        for _ in events:
            pass


def test_other_errors_arrive_with_their_type_named(tmp_path):
    # Saving the first finished scale fails (its folder is a file); an OSError crosses as a
    # RuntimeError that names it.
    (tmp_path / "a file").write_text("")
    checkpoint = tmp_path / "a file" / "m.safetensors"
    with pytest.raises(RuntimeError, match=r"^FileExistsError: "):
        list(train_in_background(load_image(TINY_IMAGE), tiny_config(iterations=1), checkpoint, threading.Event(), CPU))


_PARENT_SCRIPT = """
import multiprocessing, sys, threading
import torch
from singan_lite import load_image
from singan_lite.background import train_in_background
from tests.conftest import TINY_IMAGE, tiny_config

if __name__ == "__main__":
    events = train_in_background(
        load_image(TINY_IMAGE), tiny_config(iterations=5000), sys.argv[1], threading.Event(), torch.device("cpu")
    )
    next(events)
    (child,) = multiprocessing.active_children()
    print(child.pid, flush=True)
    for _ in events:
        pass
"""


def _is_running(pid: int) -> bool:
    """Whether the process exists and has not ended: an orphan that ended may stay a zombie
    when the process that adopted it does not reap it (as in some containers)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc (Linux)")
def test_the_child_ends_when_its_parent_is_killed(tmp_path):
    # A server killed on its own (not with its process group) takes no daemon child with it.
    script = tmp_path / "parent.py"
    script.write_text(_PARENT_SCRIPT)
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, str(script), str(tmp_path / "m.safetensors")]
    environment = {**os.environ, "PYTHONPATH": str(root)}
    child_pid = None
    # Its errors go to a file: the warning its orphaned resource tracker prints is expected.
    log = tmp_path / "parent.log"
    with (
        log.open("w") as errors,
        subprocess.Popen(
            command, cwd=root, env=environment, stdout=subprocess.PIPE, stderr=errors, text=True
        ) as parent,
    ):
        try:
            line = parent.stdout.readline()
            assert line, f"the parent process failed:\n{log.read_text()}"
            child_pid = int(line)
            assert _is_running(child_pid)
            parent.kill()
            parent.wait()
            deadline = time.monotonic() + 15
            while _is_running(child_pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not _is_running(child_pid)
        finally:
            parent.kill()
            if child_pid is not None and _is_running(child_pid):
                os.kill(child_pid, signal.SIGKILL)
