"""train-many: one model per image, on Ray, in local processes or in this process; reruns carry on.

Tiny images (at most 24 px) and the tiny config keep every run to seconds of training; the
engines are the real ones: a local Ray instance, spawned worker processes, real Ctrl-C.
"""

import importlib.util
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from PIL import Image

from singan_lite import SinGAN, train
from singan_lite.many import find_images, read_manifest, train_many
from singan_lite.many_engines import RayShares
from singan_lite.training import ScaleEvent

from .conftest import ASSETS, ROOT, tiny_config

# 24x16, 24x23 and 24x18 px: two, four and three scales.
IMAGES = ("autumn", "dandelions", "mountains")
CONFIG = tiny_config(max_size=24)
# The same settings on the command line.
OPTIONS = ["--preset", "paper", "--iters", "6", "--max-size", "24", "--min-size", "16"]
# For Ctrl+C mid-run: enough iterations that the images after the first are still training
# when the signal arrives (the later --iters is the one argparse keeps).
INTERRUPTIBLE_OPTIONS = [*OPTIONS, "--iters", "30"]
needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason='Ray is not installed (pip install "ray[default]")'
)

# The command as the `singan-lite` entry point runs it, in a fresh process; BLOCK_RAY makes
# that process behave as if Ray were not installed.
COMMAND = """
import argparse, sys
if {block_ray}:
    sys.modules["ray"] = None
from singan_lite.many import add_train_many_command
parser = argparse.ArgumentParser()
add_train_many_command(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(sys.argv[1:])
try:
    sys.exit(args.run(args))
except ValueError as error:
    print(f"error: {{error}}", file=sys.stderr)
    sys.exit(2)
"""


def command(*args, block_ray=False):
    return [sys.executable, "-c", COMMAND.format(block_ray=block_ray), "train-many", *map(str, args)]


# One torch thread in the test process and the commands it starts: on a machine busy with other
# work, two threads per process wait on each other far longer than these tiny models train
# (docs/design.md#threads). Ray tasks and worker processes take one core each here anyway.
ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture()
def folder(tmp_path):
    """Three small images cut from the assets, and one file of garbage with an image's name."""
    images = tmp_path / "images"
    images.mkdir()
    for name in IMAGES:
        with Image.open(ASSETS / "images" / f"{name}.png") as image:
            image = image.convert("RGB")
            image.thumbnail((24, 24))
            image.save(images / f"{name}.png")
    (images / "broken.png").write_bytes(b"\x89PNG but then nothing an image decoder could use" * 4)
    (images / "notes.txt").write_text("not an image: left alone")
    return images


def last_status(out):
    return {record["image"]: record["status"] for record in read_manifest(out)}


def assert_complete(out, names=IMAGES):
    for name in names:
        assert SinGAN.load(out / f"{name}.safetensors").is_complete


def test_every_image_trains_and_the_broken_one_fails_alone(folder, tmp_path):
    out = tmp_path / "out"
    summary = train_many(folder, out, CONFIG, samples=1, device="cpu")
    assert last_status(out) == {"broken.png": "failed", **{f"{name}.png": "done" for name in IMAGES}}
    assert [record.image for record in summary.failed] == ["broken.png"]
    assert_complete(out)
    records = {record["image"]: record for record in read_manifest(out)}
    broken = records.pop("broken.png")
    assert broken["model"] is None and broken["error"].startswith("ImageError: ")
    assert "\n" not in broken["error"] and "broken.png" in broken["error"]
    for record in records.values():
        model = SinGAN.load(out / record["model"])
        assert record["pyramid"] == [list(size) for size in model.sizes] and record["scales"] == model.num_scales
        assert record["preset"] == "paper" and record["seconds"] > 0 and record["timestamp"].endswith("+00:00")
        assert record["samples"] == [record["model"].replace(".safetensors", "_sample0.png")]
        assert (out / record["samples"][0]).is_file()
    # Nothing but the models, samples and manifest: no temporary file is left behind.
    assert sorted(path.name for path in out.iterdir()) == sorted(
        ["manifest.jsonl"] + [f"{name}{end}" for name in IMAGES for end in (".safetensors", "_sample0.png")]
    )


def test_a_rerun_resumes_a_partial_model_and_skips_finished_ones(folder, tmp_path):
    out = tmp_path / "out"
    # A model stopped after its first scale, as a killed run leaves it.
    partial = out / "dandelions.safetensors"
    train(folder / "dandelions.png", CONFIG, checkpoint=partial, on_event=lambda e: isinstance(e, ScaleEvent))
    assert SinGAN.load(partial).trained_scales == 1
    first_scale = SinGAN.load(partial).generators[0].state_dict()
    # Stop once dandelions is done: mountains, the last image, is not started.
    train_many(folder, out, CONFIG, device="cpu", on_progress=lambda record: record.image == "dandelions.png")
    assert last_status(out) == {"autumn.png": "done", "broken.png": "failed", "dandelions.png": "done"}
    resumed = SinGAN.load(partial)
    assert resumed.is_complete
    (record,) = [r for r in read_manifest(out) if r["image"] == "dandelions.png"]
    assert record["resumed_from"] == 1 and record["scales"] == resumed.num_scales > 1
    for name, tensor in first_scale.items():
        assert torch.equal(resumed.generators[0].state_dict()[name], tensor), "the finished scale was trained again"

    stamps = {name: (out / f"{name}.safetensors").stat().st_mtime_ns for name in ("autumn", "dandelions")}
    summary = train_many(folder, out, CONFIG, device="cpu")
    assert {record.image: record.status for record in summary.records} == {
        "autumn.png": "skipped",
        "broken.png": "failed",
        "dandelions.png": "skipped",
        "mountains.png": "done",
    }
    assert all((out / f"{name}.safetensors").stat().st_mtime_ns == stamp for name, stamp in stamps.items())
    assert_complete(out)


def test_a_resumed_image_ends_with_the_model_an_uninterrupted_run_makes(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    with Image.open(ASSETS / "images" / "mountains.png") as image:
        # Larger than max_size: the model's image is resized, so not 8-bit like the copy in its file.
        image.convert("RGB").resize((40, 30)).save(folder / "mountains.png")
    train_many(folder, tmp_path / "whole", CONFIG, device="cpu")
    resumed = tmp_path / "resumed" / "mountains.safetensors"
    train(folder / "mountains.png", CONFIG, checkpoint=resumed, on_event=lambda e: isinstance(e, ScaleEvent))
    train_many(folder, tmp_path / "resumed", CONFIG, device="cpu")
    whole, resumed = SinGAN.load(tmp_path / "whole" / "mountains.safetensors"), SinGAN.load(resumed)
    assert whole.num_scales == resumed.num_scales == 3 and whole.noise_amps == resumed.noise_amps
    expected = whole.generators.state_dict()
    for name, tensor in resumed.generators.state_dict().items():
        assert torch.equal(tensor, expected[name]), name


def as_if_from_a_terminal():
    # A shell starts background jobs with Ctrl+C ignored, and Python keeps an ignored SIGINT
    # ignored: without this, a test run started in the background could never interrupt.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_keeps_finished_models_and_a_rerun_finishes_the_rest(folder, tmp_path):
    out = tmp_path / "out"
    run = subprocess.Popen(
        command(folder, "-o", out, *INTERRUPTIBLE_OPTIONS),
        cwd=ROOT,
        env=ONE_THREAD,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_if_from_a_terminal,
    )
    deadline = time.monotonic() + 120
    while not ((out / "manifest.jsonl").exists() and "done" in last_status(out).values()):
        assert run.poll() is None and time.monotonic() < deadline, "no image finished"
        time.sleep(0.2)
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 130, stderr
    assert "run the same command again" in stderr
    finished = [name for name in IMAGES if last_status(out).get(f"{name}.png") == "done"]
    assert finished
    assert_complete(out, finished)
    stamps = {name: (out / f"{name}.safetensors").stat().st_mtime_ns for name in finished}

    rerun = subprocess.run(
        command(folder, "-o", out, *INTERRUPTIBLE_OPTIONS),
        cwd=ROOT,
        env=ONE_THREAD,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 1, rerun.stderr  # broken.png still fails
    records = read_manifest(out)
    assert {r["image"] for r in records[-4:]} == {"broken.png", *(f"{name}.png" for name in IMAGES)}
    assert all(r["status"] == "skipped" for r in records[-4:] if r["image"][:-4] in finished)
    assert_complete(out)
    assert all((out / f"{name}.safetensors").stat().st_mtime_ns == stamps[name] for name in finished)


def test_without_ray_several_jobs_run_in_local_processes(folder, tmp_path):
    out = tmp_path / "out"
    result = subprocess.run(
        command(folder, "-o", out, "--jobs", 2, *OPTIONS, block_ray=True),
        cwd=ROOT,
        env=ONE_THREAD,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    assert 'pip install "singan-lite[cluster]"' in result.stderr
    assert last_status(out) == {"broken.png": "failed", **{f"{name}.png": "done" for name in IMAGES}}
    assert_complete(out)
    assert "3 done, 0 skipped, 1 failed" in result.stdout


def test_a_ray_address_without_ray_is_a_clear_error(folder, tmp_path):
    result = subprocess.run(
        command(folder, "-o", tmp_path / "out", "--ray", "auto", block_ray=True),
        cwd=ROOT,
        env=ONE_THREAD,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert 'error: a Ray cluster needs Ray: pip install "singan-lite[cluster]"' in result.stderr


@needs_ray
def test_on_ray_a_stop_interrupts_the_image_in_flight_and_reruns_carry_on(folder, tmp_path):
    out = tmp_path / "out"
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # A local instance on loopback only (Ray reads this when first imported); train_many
    # uses this process's connection.
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray

    ray.init(num_cpus=2, include_dashboard=False)
    try:
        # broken.png fails before any task starts, while autumn's task has just been given out.
        first = train_many(folder, out, CONFIG, jobs=2, device="cpu", on_progress=lambda record: True)
        second = train_many(folder, out, CONFIG, jobs=2, samples=1, device="cpu")
        stamps = {name: (out / f"{name}.safetensors").stat().st_mtime_ns for name in IMAGES}
        third = train_many(folder, out, CONFIG, jobs=2, samples=1, device="cpu")
    finally:
        ray.shutdown()
    assert {record.image: record.status for record in first.records} == {
        "autumn.png": "interrupted",
        "broken.png": "failed",
    }
    assert {record.image: record.status for record in second.records} == {
        "broken.png": "failed",
        **{f"{name}.png": "done" for name in IMAGES},
    }
    assert_complete(out)
    assert all((out / f"{name}_sample0.png").is_file() for name in IMAGES)
    assert {record.image: record.status for record in third.records} == {
        "broken.png": "failed",
        **{f"{name}.png": "skipped" for name in IMAGES},
    }
    assert all((out / f"{name}.safetensors").stat().st_mtime_ns == stamps[name] for name in IMAGES)


def test_a_folder_without_images_or_with_clashing_names_is_refused(tmp_path):
    with pytest.raises(ValueError, match="holds no images"):
        find_images(tmp_path)
    for name in ("a.png", "a.jpg"):
        Image.new("RGB", (20, 20)).save(tmp_path / name)
    with pytest.raises(ValueError, match="rename one"):
        find_images(tmp_path)
    (tmp_path / "a.jpg").unlink()
    with pytest.raises(ValueError, match="must not be the image folder"):
        train_many(tmp_path, tmp_path, CONFIG)
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        train_many(tmp_path, tmp_path / "out", CONFIG, jobs=0)


def test_ray_tasks_split_the_cluster_between_the_jobs():
    one_machine = [{"CPU": 16.0, "GPU": 1.0}]
    # 4 jobs on 16 cores and a GPU: 4 cores and a quarter of the GPU each.
    assert RayShares.plan(one_machine, 4, "auto") == RayShares(jobs=4, cpus=4, gpus=0.25, slots=4)
    assert RayShares.plan(one_machine, 3, "cpu") == RayShares(jobs=3, cpus=5, gpus=0.0, slots=3)
    # Default: one job per node; no task asks for more cores than the smallest node has.
    mixed = [{"CPU": 8.0}, {"CPU": 2.0}, {"memory": 1e9}]
    assert RayShares.plan(mixed, None, "auto") == RayShares(jobs=2, cpus=2, gpus=0.0, slots=5)
    gpus = [{"CPU": 8.0, "GPU": 2.0}, {"CPU": 8.0, "GPU": 2.0}]
    assert RayShares.plan(gpus, 4, "cuda") == RayShares(jobs=4, cpus=4, gpus=1.0, slots=4)
    assert RayShares.plan([{"CPU": 2.0, "GPU": 1.0}], 3, "auto").gpus == 0.3333
    with pytest.raises(ValueError, match="no GPUs"):
        RayShares.plan(mixed, 2, "cuda")
    with pytest.raises(ValueError, match="no CPUs"):
        RayShares.plan([{"GPU": 1.0}], 1, "auto")


def test_a_model_trained_with_other_settings_is_not_overwritten(folder, tmp_path):
    out = tmp_path / "out"
    train(folder / "autumn.png", tiny_config(max_size=24, iterations=2), checkpoint=out / "autumn.safetensors")
    before = (out / "autumn.safetensors").read_bytes()
    train_many(folder, out, CONFIG, device="cpu", on_progress=lambda record: record.image == "autumn.png")
    (record,) = [r for r in read_manifest(out) if r["image"] == "autumn.png"]
    assert record["status"] == "failed" and "other settings" in record["error"]
    assert (out / "autumn.safetensors").read_bytes() == before
