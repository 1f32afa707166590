"""The models a visitor can pick: the shipped ones, and the ones they trained or uploaded.

Shipped models (assets/models/*.safetensors) are shared by everyone. Trained and
uploaded models belong to one browser session: the session keeps them as a small
{name: file} dict in a gr.State, so one visitor's uploads never appear in another's
list. Loaded models are cached because reading a file is the slow part of most clicks
(a file is read under a lock, so the page's simultaneous first requests read it once).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

from singan_lite import ModelFileError, SinGAN, resolve_device

from .uploads import without_folder

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODELS = ROOT / "assets" / "models"

# name -> model file, per browser session (the value of a gr.State).
SessionModels = dict[str, str]

# Output files (animations, upscaled images) older than this are deleted when new ones are made.
OUTPUT_LIFETIME_SECONDS = 3600


class ModelRegistry:
    """Resolves model names to files and loaded models, for shipped and per-session models."""

    def __init__(
        self,
        shipped_dir: str | Path = SHIPPED_MODELS,
        device: str = "auto",
        cache_size: int = 8,
    ) -> None:
        self.device = resolve_device(device)
        self.shipped = {path.stem: path for path in sorted(Path(shipped_dir).glob("*.safetensors"))}
        self.cache_size = cache_size
        self._cache: OrderedDict[str, SinGAN] = OrderedDict()
        self._lock = threading.Lock()
        # Removed (with every trained, uploaded and generated file) when the registry goes away.
        self._workdir = tempfile.TemporaryDirectory(prefix="singan-app-")
        self.workdir = Path(self._workdir.name)

    # ----- names -------------------------------------------------------------------------

    def names(self, session: SessionModels | None = None) -> list[str]:
        """Shipped models first (alphabetical), then the session's in the order they were added."""
        return [*self.shipped, *(session or {})]

    def default_name(self) -> str | None:
        return next(iter(self.shipped), None)

    def path(self, name: str | None, session: SessionModels | None = None) -> Path:
        if session and name in session:
            return Path(session[name])
        if name in self.shipped:
            return self.shipped[name]
        if not name:
            raise ValueError("choose a model first: pick one from the list, upload a .safetensors file or train one.")
        raise ValueError(
            f"there is no model called '{name}'; trained and uploaded models last only while their page is open."
        )

    # ----- loading -----------------------------------------------------------------------

    def load(self, name: str | None, session: SessionModels | None = None) -> SinGAN:
        """The model, read from its file on first use; the least recently used one is dropped when full."""
        key = str(self.path(name, session))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
            else:
                self._cache[key] = SinGAN.load(key, self.device)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            return self._cache[key]

    # ----- adding ------------------------------------------------------------------------

    def add(self, session: SessionModels | None, path: str | Path, label: str) -> tuple[str, SessionModels]:
        """Register a model file under a fresh name; returns the name and the new session dict."""
        taken = set(self.names(session))
        name, number = label, 1
        while name in taken:
            number += 1
            name = f"{label} #{number}"
        return name, {**(session or {}), name: str(path)}

    def import_upload(self, session: SessionModels | None, upload: str | Path | None) -> tuple[str, SessionModels]:
        """Check an uploaded file is a usable model, keep a copy, and register it."""
        if upload is None:
            raise ModelFileError("choose a .safetensors model file to upload.")
        source = Path(upload)
        if source.suffix.lower() != ".safetensors":
            raise ModelFileError(
                f"'{source.name}' is not a model file: upload a .safetensors file made by singan-lite."
            )
        try:
            SinGAN.load(source)
        except ModelFileError as error:
            raise ModelFileError(without_folder(str(error), source)) from error
        target = self.model_folder() / source.name
        shutil.copyfile(source, target)
        return self.add(session, target, f"{source.stem} (uploaded)")

    def discard(self, session: SessionModels | None) -> None:
        """Forget a finished session's files (the gr.State delete callback)."""
        for path in (session or {}).values():
            folder = Path(path).parent
            if folder.parent == self.workdir / "models":
                shutil.rmtree(folder, ignore_errors=True)

    # ----- files -------------------------------------------------------------------------

    def model_folder(self) -> Path:
        """A new folder for one trained or uploaded model."""
        root = self.workdir / "models"
        root.mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(dir=root))

    def output_folder(self) -> Path:
        """A new folder for one result's files; results older than an hour are deleted first."""
        root = self.workdir / "outputs"
        root.mkdir(exist_ok=True)
        expired = time.time() - OUTPUT_LIFETIME_SECONDS
        for old in root.iterdir():
            if old.stat().st_mtime < expired:
                shutil.rmtree(old, ignore_errors=True)
        return Path(tempfile.mkdtemp(dir=root))


def describe(model: SinGAN) -> str:
    """One line a visitor can read: size, scales, recipe, and what the model is for."""
    height, width = model.sizes[-1]
    scales = f"{model.trained_scales} of {model.num_scales} scales trained"
    if model.is_complete:
        scales = f"{model.num_scales} scales"
    purpose = (
        f"super-resolution ×{model.config.sr_factor:g}" if model.config.sr_factor else "random samples and injection"
    )
    return f"{width}×{height} px · {scales} · preset '{model.config.preset}' · {purpose}"
