import statistics

import pytest
import torch

from benchmarks.common import DIVERSITY_BATCH, DIVERSITY_SAMPLES, paper_diversity
from singan_lite.metrics import pixel_diversity


def test_diversity_comes_from_a_hundred_seeded_samples_and_reads_above_the_mean_of_small_sets(tiny_model):
    real = tiny_model.training_image()
    seeds = range(1, 1 + DIVERSITY_SAMPLES // DIVERSITY_BATCH)
    batches = [tiny_model.sample(DIVERSITY_BATCH, seed=seed) for seed in seeds]
    measured = paper_diversity(tiny_model, real, seed=1)
    assert measured == pytest.approx(pixel_diversity(torch.cat(batches), real))
    # The spread of a few samples reads low: the reason the benchmarks draw a hundred.
    assert measured > statistics.fmean(pixel_diversity(batch, real) for batch in batches)
