"""singan-lite: SinGAN (Shaham et al., ICCV 2019) that trains on a CPU.

Scale 0 is the coarsest throughout. Images are (N, 3, H, W) tensors in [-1, 1].
"""

from .config import PRESETS, TrainConfig, preset
from .imaging import ImageError, load_image, load_mask, resize, save_image, soften_mask, to_uint8
from .many import ImageRecord, ManySummary, train_many
from .model import ModelFileError, SinGAN
from .pyramid import PyramidPlan, build_pyramid, plan_pyramid
from .training import IterationEvent, ScaleEvent, resolve_device, train

__all__ = [
    "PRESETS",
    "ImageError",
    "ImageRecord",
    "IterationEvent",
    "ManySummary",
    "ModelFileError",
    "PyramidPlan",
    "ScaleEvent",
    "SinGAN",
    "TrainConfig",
    "build_pyramid",
    "load_image",
    "load_mask",
    "plan_pyramid",
    "preset",
    "resize",
    "resolve_device",
    "save_image",
    "soften_mask",
    "to_uint8",
    "train",
    "train_many",
]
