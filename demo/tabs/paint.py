"""The Paint-to-image tab: a rough painting in the training image's colours becomes a picture."""

from __future__ import annotations

import gradio as gr

from ..examples import example_input
from ..handlers import paint
from ..handlers.injection import injection_range
from .shared import INSTANT, Shared, friendly
from .widgets import OUTPUT_HEIGHT, injection_slider, scale_choice, seed_box


def build(shared: Shared) -> None:
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
                scale = injection_slider("paint")
                quantize = gr.Checkbox(
                    False, label="Quantised fine-tune: crisper textures; the first use per scale re-trains it (minutes)"
                )
                seed = seed_box("paint")
                run = gr.Button("Paint", variant="primary", elem_id="paint-run")
            output = gr.Image(label="Result", format="png", height=OUTPUT_HEIGHT, elem_id="paint-output", scale=1)

    def canvas(model, name, start):
        height, width = model.sizes[-1]
        value = paint.canvas(model, start, example_input("paint", name))
        return gr.update(value=value, canvas_size=(width, height))

    def palette(model, scale):
        colours = paint.palette(model, scale)
        return gr.update(brush=gr.Brush(colors=colours, default_color=colours[0], color_mode="defaults"))

    def setup(model, name):
        top, default = injection_range(model, "paint")
        start = "example painting" if example_input("paint", name) else "blank canvas"
        brush = palette(model, default)["brush"]
        editor_update = canvas(model, name, start)
        return scale_choice(1, top, default), start, {**editor_update, "brush": brush}, None

    def paint_event(model, painting, scale, quantize, seed, progress=gr.Progress()):  # noqa: B008
        return paint.paint_image(
            model, painting, scale, quantize, seed, progress=lambda done, text: progress(done, desc=text)
        )

    shared.on_model(setup, [scale, start, editor, output], "paint_setup", with_name=True)
    start.input(
        friendly(shared.model_event(canvas, with_name=True)),
        [*shared.model_inputs, start],
        editor,
        api_name="paint_canvas",
        **INSTANT,
    )
    # The palette changes when the slider is let go, not at every step it passes.
    palette_event = friendly(shared.model_event(palette))
    scale.release(palette_event, [*shared.model_inputs, scale], editor, api_name="paint_palette")
    shared.generate(run, paint_event, [editor, scale, quantize, seed], output, "paint")
