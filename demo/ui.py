"""The page: layout and wiring only. Every computation lives in demo.handlers.

Each tab is one function that places its components and connects its events; every
event has an api_name, so the page is also an HTTP API (gradio_client). Library
errors (bad images, bad model files, bad settings) reach the visitor as gr.Error
with the library's own message.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import gradio as gr

from singan_lite import ImageError, ModelFileError
from singan_lite.background import TrainingDiedError

from . import uploads
from .examples import example_input, example_mask
from .gpu import on_gpu
from .handlers import animation, blend, paint, pyramid, samples, superres, train
from .handlers.injection import injection_range
from .models import ROOT, ModelRegistry, describe

USER_ERRORS = (ImageError, ModelFileError, ValueError, TrainingDiedError)
MAX_UPLOAD = "25mb"
MAX_SEED = 2**31
SAMPLE_IMAGES = [str(path) for path in sorted((ROOT / "assets" / "images").glob("*.png"))]
# Model work shares one slot and training another, so a training run never blocks sampling;
# cheap events (settings, seeds, the stop button) never wait.
GENERATE = {"concurrency_id": "generate", "concurrency_limit": 1}
TRAIN = {"concurrency_id": "train", "concurrency_limit": 1}
INSTANT = {"concurrency_limit": None}
# Single result images get a fixed height: otherwise Gradio sizes the box before the image arrives.
OUTPUT_HEIGHT = 420

INTRO = """# singan-lite
SinGAN learns a generative model from **one** image. Pick a model (or train one on your own image
in the *Train* tab), then make samples of any size, turn a painting into a picture, fix an edited or
pasted part, upscale, animate, and see what each scale of the pyramid adds."""


def _sentence(error: Exception) -> str:
    message = str(error)
    return message[:1].upper() + message[1:]


def _friendly(function: Callable) -> Callable:
    """Turn the library's user errors into gr.Error, for plain and generator handlers alike."""
    if inspect.isgeneratorfunction(function):

        @functools.wraps(function)
        def stream(*args, **kwargs):
            try:
                yield from function(*args, **kwargs)
            except gr.Error:
                raise
            except USER_ERRORS as error:
                raise gr.Error(_sentence(error), print_exception=False) from error

        return stream

    @functools.wraps(function)
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except gr.Error:
            raise
        except USER_ERRORS as error:
            raise gr.Error(_sentence(error), print_exception=False) from error

    return call


def launch_options() -> dict:
    """What app.py (and the tests) pass to launch(): upload limit, files the page may serve."""
    return {"max_file_size": MAX_UPLOAD, "allowed_paths": [str(ROOT / "assets")]}


@dataclass
class Shared:
    """What every tab reads: the registry, the session's models, the picker, and the page."""

    registry: ModelRegistry
    session: gr.State
    picker: gr.Dropdown
    demo: gr.Blocks
    stops: train.StopSwitches

    def on_model(
        self, function: Callable, outputs: list, api_name: str, extra_inputs: list | None = None, heavy: bool = False
    ) -> None:
        """Run `function(model_name, session, *extra)` on page load and whenever the model changes.

        `heavy` (it generates images) puts it in the generation slot; settings updates never wait.
        With no model at all (nothing shipped, nothing trained yet) the tab is left as it is.
        """

        def unless_empty(name, session, *extra):
            if name:
                return function(name, session, *extra)
            skips = tuple(gr.skip() for _ in outputs)
            return skips if len(skips) > 1 else skips[0]

        gr.on(
            [self.demo.load, self.picker.change],
            _friendly(unless_empty),
            inputs=[self.picker, self.session, *(extra_inputs or [])],
            outputs=outputs,
            api_name=api_name,
            **(GENERATE if heavy else INSTANT),
        )


def _picker_row(registry: ModelRegistry, session: gr.State) -> tuple[gr.Dropdown, gr.UploadButton, gr.Markdown]:
    with gr.Row():
        picker = gr.Dropdown(
            registry.names(),
            value=registry.default_name(),
            label="Model",
            info="shipped models, then the ones you train or upload here",
            elem_id="model-picker",
            scale=3,
        )
        upload = gr.UploadButton("Upload a model (.safetensors)", file_types=[".safetensors"], size="md", scale=1)
    info = gr.Markdown(
        "No model yet: train one in the *Train* tab, or upload one.", label="About the model", elem_id="model-info"
    )
    return picker, upload, info


def _wire_picker(shared: Shared, upload: gr.UploadButton, info: gr.Markdown) -> None:
    registry = shared.registry

    def model_info(name: str, session: dict) -> str:
        return describe(registry.load(name, session))

    def upload_model(file: str, session: dict) -> tuple[dict, dict]:
        name, session = registry.import_upload(session, file)
        gr.Info(f"'{name}' is ready in every tab.")
        return gr.update(choices=registry.names(session), value=name), session

    shared.on_model(model_info, [info], "model_info")
    upload.upload(
        _friendly(upload_model),
        [upload, shared.session],
        [shared.picker, shared.session],
        api_name="upload_model",
        **INSTANT,
    )


def _seed_box(name: str) -> tuple[gr.Number, gr.Button]:
    with gr.Row(equal_height=True):
        seed = gr.Number(0, label="Seed", precision=0, minimum=0, maximum=MAX_SEED - 1, scale=3, elem_id=f"{name}-seed")
        dice = gr.Button("Random", scale=1, min_width=60, size="sm")
    return seed, dice


def _size_sliders() -> tuple[gr.Slider, gr.Slider]:
    scale_h = gr.Slider(0.5, 3.0, 1.0, step=0.25, label="Width ×")
    scale_v = gr.Slider(0.5, 3.0, 1.0, step=0.25, label="Height ×")
    return scale_h, scale_v


def _wire_dice(dice: gr.Button, seed: gr.Number) -> None:
    """A new random seed, drawn in the browser: no round trip, and nothing for the API to offer."""
    dice.click(None, None, seed, js=f"() => Math.floor(Math.random() * {MAX_SEED})")


def _scale_choice(lowest: int, top: int, value: int) -> dict:
    """A scale slider's update for a model whose scales run from `lowest` to `top`.

    Gradio refuses a slider whose minimum is not below its maximum, so a model that
    leaves a single choice (one or two trained scales) hides the slider at that choice.
    """
    if top <= lowest:
        return gr.update(minimum=lowest, maximum=lowest + 1, value=lowest, visible=False)
    return gr.update(minimum=lowest, maximum=top, value=value, visible=True)


def samples_tab(shared: Shared) -> None:
    registry = shared.registry
    with gr.Tab("Samples", id="samples", elem_id="samples-tab"), gr.Row():
        with gr.Column(scale=1):
            start = gr.Slider(0, 8, 0, step=1, label="Start scale", info="0 changes the layout, higher keeps it")
            scale_h, scale_v = _size_sliders()
            num = gr.Slider(1, samples.MAX_SAMPLES, 4, step=1, label="Number of samples")
            seed, dice = _seed_box("samples")
            run = gr.Button("Generate", variant="primary", elem_id="samples-run")
        gallery = gr.Gallery(
            label="Samples", columns=2, format="png", object_fit="contain", elem_id="samples-gallery", scale=2
        )

    def sample(name, session, num, start, scale_h, scale_v, seed):
        model = registry.load(name, session)
        return samples.generate_samples(model, num, start, scale_h, scale_v, seed)

    def first_samples(name, session, num, scale_h, scale_v, seed):
        model = registry.load(name, session)
        top = samples.max_start_scale(model)
        images = samples.generate_samples(model, num, 0, scale_h, scale_v, seed)
        return _scale_choice(0, top, 0), images

    inputs = [shared.picker, shared.session, num, start, scale_h, scale_v, seed]
    run.click(on_gpu(_friendly(sample)), inputs, gallery, api_name="sample", **GENERATE)
    _wire_dice(dice, seed)
    shared.on_model(on_gpu(first_samples), [start, gallery], "samples_setup", [num, scale_h, scale_v, seed], heavy=True)


def _progress_stream(shared: Shared) -> Callable[..., Iterator[train.TrainingUpdate]]:
    """Training with this session's stop switch, the progress bar, and notices as warnings."""

    def stream(image, preset_name, max_size, seed, iterations, sr_factor, min_size, session, request, progress):
        config = train.training_config(preset_name, max_size, seed, iterations, sr_factor, min_size)
        switch = shared.stops.arm(request.session_hash)
        try:
            for update in train.train_model(
                image,
                config,
                registry=shared.registry,
                session=session,
                stop=switch,
                notify=gr.Warning,
            ):
                progress(update.fraction, desc=update.status)
                yield update
        finally:
            shared.stops.release(request.session_hash, switch)

    return stream


def _model_outputs(shared: Shared, update: train.TrainingUpdate) -> tuple:
    """The picker and session after training: the new model selected, or unchanged."""
    if update.model_name is None:
        return gr.skip(), gr.skip(), gr.skip()
    choices = gr.update(choices=shared.registry.names(update.session), value=update.model_name)
    return str(update.model_file), choices, update.session


def _image_upload(label: str, name: str, value: str | None = None) -> gr.File:
    """A file drop for any image format, with a preview that shows at once what the app will use.

    A gr.File rather than a gr.Image: gr.Image decodes uploads itself and a corrupt
    file would fail there with Gradio's message; here the library reads it and explains.
    """
    upload = gr.File(value, label=label, file_types=["image"], type="filepath", elem_id=f"{name}-image")
    preview = gr.Image(value, label="Preview", format="png", interactive=False, height=220)

    def show(path):
        return uploads.preview(path, notify=gr.Warning)

    upload.change(_friendly(show), upload, preview, api_name=f"{name}_preview", **INSTANT)
    return upload


def _training_settings(name: str, coarsest_level: bool) -> list[gr.components.Component]:
    """Preset, size, and under Advanced the seed, iterations and (`coarsest_level`) min_size.

    Super-resolution sets its own coarsest level, so its tab leaves that one out.
    """
    preset_name = gr.Radio(
        ["fast", "quality", "paper"],
        value="fast",
        label="Preset",
        info="for 250 px on 2 CPU cores: fast 3 to 6 minutes, quality about 13 (closest to the image), paper hours",
    )
    max_size = gr.Slider(
        40, 400, 160, step=10, label="Max size (px)", info="the finest level's long side", elem_id=f"{name}-max-size"
    )
    with gr.Accordion("Advanced", open=False):
        seed = gr.Number(0, label="Seed", precision=0, minimum=0)
        iterations = gr.Number(
            0, label="Iterations per scale (0: the preset's)", precision=0, minimum=0, elem_id=f"{name}-iterations"
        )
        settings = [preset_name, max_size, seed, iterations]
        if coarsest_level:
            settings.append(
                gr.Number(
                    0,
                    label="Coarsest level, short side in px (0: the preset's, 16; paper 25)",
                    info="larger: samples rearrange the scene more freely; smaller: they keep its layout",
                    precision=0,
                    minimum=0,
                    elem_id=f"{name}-min-size",
                )
            )
    return settings


def _wire_stop(shared: Shared, buttons: list[gr.Button]) -> None:
    """Every Stop button stops the run of its own browser session, whichever tab started it."""

    def stop_training(request: gr.Request) -> None:
        if shared.stops.press(request.session_hash):
            gr.Info("Stopping after this iteration; the finished scales are kept.")

    gr.on([button.click for button in buttons], stop_training, None, None, api_name="stop_training", **INSTANT)


def train_tab(shared: Shared) -> gr.Button:
    with gr.Tab("Train", id="train", elem_id="train-tab"), gr.Row():
        with gr.Column(scale=1):
            first = SAMPLE_IMAGES[0] if SAMPLE_IMAGES else None
            image = _image_upload("Training image (any format)", "train", first)
            gr.Examples([[path] for path in SAMPLE_IMAGES], [image], label="Sample images")
            settings = _training_settings("train", coarsest_level=True)
            with gr.Row():
                run = gr.Button("Train", variant="primary", elem_id="train-run")
                stop = gr.Button("Stop", variant="stop", elem_id="train-stop")
        with gr.Column(scale=2):
            status = gr.Markdown("Pick an image and press *Train*.", label="Status", elem_id="train-status")
            plot = gr.Plot(label="Losses per scale", elem_id="train-plot")
            snapshots = gr.Gallery(
                label="Each scale: real, reconstruction, sample",
                columns=3,
                format="png",
                object_fit="contain",
                elem_id="train-snapshots",
            )
            model_file = gr.File(label="Model file", interactive=False, elem_id="train-model-file")
    stream = _progress_stream(shared)

    def train_event(
        image,
        preset_name,
        max_size,
        seed,
        iterations,
        min_size,
        session,
        request: gr.Request,
        progress=gr.Progress(),  # noqa: B008
    ):
        for update in stream(
            image, preset_name, max_size, seed, iterations, None, min_size, session, request, progress
        ):
            figure = gr.skip() if update.figure is None else update.figure
            gallery = gr.skip() if update.snapshots is None else update.snapshots
            yield update.status, figure, gallery, *_model_outputs(shared, update)

    run.click(
        on_gpu(_friendly(train_event), duration=600),
        [image, *settings, shared.session],
        [status, plot, snapshots, model_file, shared.picker, shared.session],
        api_name="train",
        show_progress="minimal",
        **TRAIN,
    )
    return stop


def _injection_slider(label: str, elem_id: str) -> gr.Slider:
    return gr.Slider(1, 8, 2, step=1, label=label, elem_id=elem_id, info="lower: the input only sets the layout")


def paint_tab(shared: Shared) -> None:
    registry = shared.registry
    with gr.Tab("Paint-to-image", id="paint", elem_id="paint-tab"):
        gr.Markdown("Paint a rough layout with the brush colours (the training image's own), then press *Paint*.")
        with gr.Row():
            with gr.Column(scale=1):
                editor = gr.ImageEditor(
                    type="numpy",
                    image_mode="RGBA",
                    format="png",
                    label="Painting",
                    elem_id="paint-editor",
                    brush=gr.Brush(color_mode="defaults"),
                    sources=["upload", "clipboard"],
                )
                start = gr.Radio(list(paint.CANVAS_STARTS), value="example painting", label="Start from")
                scale = _injection_slider("Injection scale", "paint-scale")
                quantize = gr.Checkbox(
                    False, label="Quantised fine-tune: crisper textures; the first use per scale re-trains it (minutes)"
                )
                seed, dice = _seed_box("paint")
                run = gr.Button("Paint", variant="primary", elem_id="paint-run")
            output = gr.Image(label="Result", format="png", height=OUTPUT_HEIGHT, elem_id="paint-output", scale=1)

    def canvas(name, session, start):
        model = registry.load(name, session)
        height, width = model.sizes[-1]
        value = paint.canvas(model, start, example_input("paint", name))
        return gr.update(value=value, canvas_size=(width, height))

    def palette(name, session, scale):
        colours = paint.palette(registry.load(name, session), scale)
        return gr.update(brush=gr.Brush(colors=colours, default_color=colours[0], color_mode="defaults"))

    def setup(name, session):
        model = registry.load(name, session)
        top, default = injection_range(model, "paint")
        start = "example painting" if example_input("paint", name) else "blank canvas"
        brush = palette(name, session, default)["brush"]
        editor_update = canvas(name, session, start)
        return _scale_choice(1, top, default), start, {**editor_update, "brush": brush}, None

    def paint_event(name, session, painting, scale, quantize, seed, progress=gr.Progress()):  # noqa: B008
        model = registry.load(name, session)
        return paint.paint_image(
            model, painting, scale, quantize, seed, progress=lambda done, text: progress(done, desc=text)
        )

    shared.on_model(setup, [scale, start, editor, output], "paint_setup")
    start.input(_friendly(canvas), [shared.picker, shared.session, start], editor, api_name="paint_canvas", **INSTANT)
    scale.release(_friendly(palette), [shared.picker, shared.session, scale], editor, api_name="paint_palette")
    run.click(
        on_gpu(_friendly(paint_event)),
        [shared.picker, shared.session, editor, scale, quantize, seed],
        output,
        api_name="paint",
        **GENERATE,
    )
    _wire_dice(dice, seed)


def blend_tab(shared: Shared, task: str, title: str, verb: str, hint: str) -> None:
    registry = shared.registry
    with gr.Tab(title, id=task, elem_id=f"{task}-tab"):
        gr.Markdown(hint)
        with gr.Row():
            with gr.Column(scale=1):
                editor = gr.ImageEditor(
                    type="numpy",
                    image_mode="RGBA",
                    format="png",
                    label="Composite: paint over the part to fix",
                    elem_id=f"{task}-editor",
                    brush=gr.Brush(colors=[("#ff4040", 0.6)], color_mode="fixed"),
                    sources=["upload", "clipboard"],
                )
                mask = gr.Image(
                    type="filepath",
                    image_mode=None,
                    label="Mask (white = fix), added to the brush strokes",
                    height=160,
                    elem_id=f"{task}-mask",
                )
                scale = _injection_slider("Injection scale", f"{task}-scale")
                seed, dice = _seed_box(task)
                run = gr.Button(verb, variant="primary", elem_id=f"{task}-run")
            with gr.Column(scale=1):
                before_after = gr.ImageSlider(label="Before / after", format="png", elem_id=f"{task}-slider")
                extras = gr.Gallery(
                    label="How it was made", columns=2, format="png", object_fit="contain", elem_id=f"{task}-extras"
                )

    def setup(name, session):
        model = registry.load(name, session)
        top, default = injection_range(model, task)
        example = example_input(task, name)
        composite = example if example is not None else model.training_image()
        value = blend.editor_value(composite, model.sizes[-1])
        height, width = model.sizes[-1]
        mask_file = None if example is None else example_mask(task, name)
        editor_update = gr.update(value=value, canvas_size=(width, height))
        return _scale_choice(1, top, default), editor_update, mask_file, None, None

    def run_task(name, session, painting, mask_file, scale, seed):
        return blend.blend_images(registry.load(name, session), task, painting, mask_file, scale, seed)

    shared.on_model(setup, [scale, editor, mask, before_after, extras], f"{task}_setup")
    run.click(
        on_gpu(_friendly(run_task)),
        [shared.picker, shared.session, editor, mask, scale, seed],
        [before_after, extras],
        api_name=task,
        **GENERATE,
    )
    _wire_dice(dice, seed)


def superres_tab(shared: Shared) -> gr.Button:
    registry = shared.registry
    with gr.Tab("Super-resolution", id="superres", elem_id="superres-tab"), gr.Row():
        with gr.Column(scale=1):
            about = gr.Markdown(label="About the model", elem_id="superres-info")
            image = _image_upload("Image to upscale (empty: the model's own image)", "superres")
            seed, dice = _seed_box("superres")
            run = gr.Button("Upscale", variant="primary", elem_id="superres-run")
            with gr.Accordion("Train a super-resolution model for your image", open=False):
                factor = gr.Slider(2, 8, 4, step=0.5, label="Factor", elem_id="superres-factor")
                settings = _training_settings("superres", coarsest_level=False)
                with gr.Row():
                    train_run = gr.Button("Train", elem_id="superres-train")
                    stop = gr.Button("Stop", variant="stop")
                status = gr.Markdown(label="Status", elem_id="superres-status")
                model_file = gr.File(label="Model file", interactive=False)
        with gr.Column(scale=1):
            before_after = gr.ImageSlider(label="Bicubic / SinGAN", format="png", elem_id="superres-slider")
            download = gr.File(label="Upscaled PNG", interactive=False, elem_id="superres-file")

    def setup(name, session):
        factor = registry.load(name, session).config.sr_factor
        if factor:
            return f"This model upscales **×{factor:g}**."
        return (
            "This model was not trained for super-resolution. Pick one that was, or train one for your image "
            "below: SinGAN learns the detail of an image from the image itself."
        )

    def upscale(name, session, image, seed):
        model = registry.load(name, session)
        pair, path = superres.upscale(model, image, seed, registry.output_folder(), notify=gr.Warning)
        return pair, str(path)

    stream = _progress_stream(shared)

    def train_event(
        image,
        factor,
        preset_name,
        max_size,
        seed,
        iterations,
        session,
        request: gr.Request,
        progress=gr.Progress(),  # noqa: B008
    ):
        for update in stream(image, preset_name, max_size, seed, iterations, factor, None, session, request, progress):
            yield update.status, *_model_outputs(shared, update)

    shared.on_model(setup, [about], "superres_setup")
    run.click(
        on_gpu(_friendly(upscale)),
        [shared.picker, shared.session, image, seed],
        [before_after, download],
        api_name="upscale",
        **GENERATE,
    )
    train_run.click(
        on_gpu(_friendly(train_event), duration=600),
        [image, factor, *settings, shared.session],
        [status, model_file, shared.picker, shared.session],
        api_name="train_superres",
        show_progress="minimal",
        **TRAIN,
    )
    _wire_dice(dice, seed)
    return stop


def animation_tab(shared: Shared) -> None:
    registry = shared.registry
    with gr.Tab("Animation", id="animation", elem_id="animation-tab"), gr.Row():
        with gr.Column(scale=1):
            beta = gr.Slider(0.5, 0.99, 0.9, step=0.01, label="Motion (β)", info="higher: smoother, wider moves")
            start = gr.Slider(0, 8, 0, step=1, label="Start scale", info="higher: only finer details move")
            scale_h, scale_v = _size_sliders()
            frames = gr.Slider(10, animation.MAX_FRAMES, 50, step=10, label="Frames", elem_id="animation-frames")
            fps = gr.Slider(2, 25, 10, step=1, label="Frames per second")
            seed, dice = _seed_box("animation")
            run = gr.Button("Animate", variant="primary", elem_id="animation-run")
        with gr.Column(scale=1):
            player = gr.Image(type="filepath", label="Animation", height=OUTPUT_HEIGHT, elem_id="animation-output")
            files = gr.File(
                label="Downloads (GIF, MP4)", file_count="multiple", interactive=False, elem_id="animation-files"
            )

    def setup(name, session):
        top = samples.max_start_scale(registry.load(name, session))
        return _scale_choice(0, top, min(1, top))

    def animate(name, session, beta, start, scale_h, scale_v, frames, fps, seed):
        model = registry.load(name, session)
        gif, downloads = animation.make_animation(
            model, beta, start, scale_h, scale_v, frames, fps, seed, registry.output_folder(), notify=gr.Warning
        )
        return str(gif), [str(path) for path in downloads]

    shared.on_model(setup, [start], "animation_setup")
    run.click(
        on_gpu(_friendly(animate)),
        [shared.picker, shared.session, beta, start, scale_h, scale_v, frames, fps, seed],
        [player, files],
        api_name="animate",
        **GENERATE,
    )
    _wire_dice(dice, seed)


def pyramid_tab(shared: Shared) -> None:
    registry = shared.registry
    with gr.Tab("Pyramid explorer", id="pyramid", elem_id="pyramid-tab"):
        gr.Markdown(
            "One row per scale, coarsest first: the real image at that level, the model's reconstruction, "
            "a random sample, and what that scale's generator adds to the upsampled image from below."
        )
        with gr.Row(equal_height=True):
            seed, dice = _seed_box("pyramid")
            run = gr.Button("New sample", elem_id="pyramid-run")
        gallery = gr.Gallery(
            label="Real · reconstruction · sample · added detail",
            columns=pyramid.COLUMNS,
            format="png",
            object_fit="contain",
            elem_id="pyramid-gallery",
        )

    def explore(name, session, seed):
        return pyramid.explore_pyramid(registry.load(name, session), seed)

    shared.on_model(on_gpu(explore), [gallery], "pyramid_setup", [seed], heavy=True)
    inputs = [shared.picker, shared.session, seed]
    run.click(on_gpu(_friendly(explore)), inputs, gallery, api_name="pyramid", **GENERATE)
    _wire_dice(dice, seed)


def build_demo(registry: ModelRegistry | None = None) -> gr.Blocks:
    """The whole page; pass a registry to choose where shipped models come from (the tests do)."""
    registry = registry or ModelRegistry()
    with gr.Blocks(title="singan-lite", delete_cache=(3600, 3600)) as demo:
        gr.Markdown(INTRO)
        session = gr.State({}, delete_callback=registry.discard)
        picker, upload, info = _picker_row(registry, session)
        shared = Shared(registry, session, picker, demo, train.StopSwitches())
        _wire_picker(shared, upload, info)
        with gr.Tabs():
            samples_tab(shared)
            train_stop = train_tab(shared)
            paint_tab(shared)
            blend_tab(
                shared,
                "edit",
                "Editing",
                "Edit",
                "Upload an edited image (parts moved or pasted), paint over the changed part, and SinGAN redraws it.",
            )
            blend_tab(
                shared,
                "harmonize",
                "Harmonization",
                "Harmonize",
                "Upload an image with a pasted object, paint over the object, and SinGAN re-renders it in the "
                "image's style.",
            )
            superres_stop = superres_tab(shared)
            animation_tab(shared)
            pyramid_tab(shared)
        _wire_stop(shared, [train_stop, superres_stop])
    demo.queue(default_concurrency_limit=1)
    _poll_queue_gently(demo)
    return demo


# Gradio's queue (6.31) looks for new events every 1 ms and for progress every 10 ms, except on
# Windows (50 and 100 ms): some 800 wake-ups a second of the server's event loop, 5 to 9 % of
# a core for as long as the server runs, taken from training on a 2-core Space
# (benchmarks/RESULTS.md). Windows' intervals cost a click at most 50 ms.
QUEUE_POLL_SECONDS = 0.05
PROGRESS_POLL_SECONDS = 0.1


def _poll_queue_gently(demo: gr.Blocks) -> None:
    """Windows' polling intervals everywhere; a Gradio without these settings keeps its own."""
    queue = demo._queue
    if hasattr(queue, "sleep_when_free") and hasattr(queue, "progress_update_sleep_when_free"):
        queue.sleep_when_free = QUEUE_POLL_SECONDS
        queue.progress_update_sleep_when_free = PROGRESS_POLL_SECONDS
