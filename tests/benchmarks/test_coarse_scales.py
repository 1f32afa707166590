from benchmarks.coarse_scales import report, score_at_scale, train_coarse_scales
from singan_lite import load_image, resize

from ..conftest import TINY_IMAGE, tiny_config


def test_training_ends_after_the_requested_scale_and_samples_come_at_its_size():
    config = tiny_config()
    model = train_coarse_scales(load_image(TINY_IMAGE), config, stop=1)
    assert model.num_scales > 2
    assert model.trained_scales == 2
    assert model.sample(2, seed=1).shape[-2:] == model.sizes[1]


def test_the_image_itself_shrunk_to_a_coarse_scale_keeps_its_layout_and_a_flipped_one_does_not():
    real = load_image(TINY_IMAGE)
    coarse = resize(real, (real.shape[-2] // 3, real.shape[-1] // 3))
    itself = score_at_scale(coarse, real)
    flipped = score_at_scale(coarse.flip(-2), real)
    assert itself["swd"] < 0.01 and itself["layout"] < 0.05
    assert flipped["layout"] > 5 * itself["layout"]


def test_the_report_sets_the_published_sample_under_ours_with_the_scale_size():
    scores = {"swd": 0.05, "detail": 0.9, "layout": 0.2}
    results = [{"image": "6", "size": (33, 44), "ours": {**scores, "diversity": 0.4}, "singan": scores}]
    body = report(results, "q20", stop=2)
    assert "| 6 | 44x33 | `q20` | 0.05 | 0.9 | 0.2 | 0.4 |" in body
    assert "| 6 | 44x33 | SinGAN (authors), shrunk | 0.05 | 0.9 | 0.2 | 1 sample |" in body
