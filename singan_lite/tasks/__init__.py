"""The manipulation tasks of SinGAN, each a function over one trained pyramid.

Paint-to-image, editing and harmonization inject an image at some scale; super-
resolution re-applies the finest generator; animation walks through noise space.
"""

from .animate import animate, check_animation_path, save_animation
from .blend import BlendResult, edit, harmonize
from .injection import default_injection_scale
from .paint import finetune_for_paint, paint_to_image, quantize_colours
from .superres import super_resolve

__all__ = [
    "BlendResult",
    "animate",
    "check_animation_path",
    "default_injection_scale",
    "edit",
    "finetune_for_paint",
    "harmonize",
    "paint_to_image",
    "quantize_colours",
    "save_animation",
    "super_resolve",
]
