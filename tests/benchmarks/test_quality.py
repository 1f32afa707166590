import dataclasses

import pytest

from benchmarks.quality import IMAGE_SETS, main, report


def _scores(sifid: float) -> dict[str, float]:
    return {"swd": 0.02, "nn_realism": 0.09, "nn_coverage": 0.09, "sifid": sifid, "layout": 0.1, "detail": 0.9}


def test_the_held_out_photographs_are_the_four_of_assets_large_and_are_labelled_as_such():
    photos = IMAGE_SETS["photos"]
    assert photos.keys == ["boats", "forest_path", "leaves", "moss"]
    assert photos.image("moss").is_file()
    assert photos.label(photos.keys) == "4 photographs"
    assert photos.label(["moss", "boats"]) == "photographs boats moss"
    assert not photos.published


def test_places10_images_sort_as_numbers_and_label_as_before(tmp_path):
    for key in range(1, 11):
        (tmp_path / f"{key}.jpg").touch()
    places = dataclasses.replace(IMAGE_SETS["places10"], folder=tmp_path)
    assert places.keys == [str(k) for k in range(1, 11)]
    assert places.label(places.keys) == "all 10"
    assert places.label(["9", "10", "2"]) == "2 9 10"


def test_a_report_on_photographs_compares_no_published_samples():
    results = [
        {"image": "boats", "train_seconds": 400.0, "ours": {**_scores(6.0), "diversity": 0.4}},
        {"image": "moss", "train_seconds": 410.0, "ours": {**_scores(8.0), "diversity": 0.6}},
    ]
    body = report(results, IMAGE_SETS["photos"], "fast")
    assert "SinGAN (authors)" not in body and "sifid SinGAN" not in body
    assert "| singan-lite `fast` | 0.02 | 0.09 | 0.09 | 7 | 0.5 | 0.1 | 0.9 |" in body
    assert "No published samples exist for these images" in body


def test_a_report_on_places10_sets_the_published_samples_beside_ours():
    published = {**_scores(5.0), "layout": 0.15}
    results = [
        {
            "image": "1",
            "train_seconds": 300.0,
            "ours": {**_scores(6.0), "diversity": 0.3},
            "singan": published,
            "gpnn": published,
        }
    ]
    body = report(results, IMAGE_SETS["places10"], "fast")
    assert "| SinGAN (authors) |" in body and "sifid SinGAN" in body
    assert "on both axes (layout at least theirs, SWD and SIFID at most): no." in body


def test_rescoring_an_image_never_trained_says_so(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--image-set", "photos", "--images", "moss", "--name", "never_trained", "--rescore", "--without-sifid"])
    assert stop.value.code == 2
    assert "--rescore needs trained models" in capsys.readouterr().err
