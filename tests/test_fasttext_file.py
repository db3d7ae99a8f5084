"""A fastText model file cut short (an interrupted download) is refused at load. fastText itself
hung on one cut in the dictionary, raised a C++ vector error on most others, and loaded one cut
in its last matrix, then predicted with it (lid.176.ftz cut at 99%: English at 0.25 for "hello
world")."""
import struct

import numpy as np
import pytest

from pipeline.recipe import RecipeError, load_recipe
from stages.fasttext_file import file_problem, labels_of
from stages.language import bundled_lid176_path
from stages.quality_train import train_classifier


@pytest.fixture(scope="module")
def lid176() -> bytes:
    return bundled_lid176_path().read_bytes()


def test_a_whole_quantized_model_passes_and_every_cut_is_said(tmp_path, lid176):
    assert file_problem(bundled_lid176_path()) is None
    cut = tmp_path / "lid.176.ftz"
    for share in (0.0001, 0.1, 0.5, 0.99, 0.99999):
        cut.write_bytes(lid176[:int(len(lid176) * share)])
        assert file_problem(cut).startswith("is cut short"), share
    cut.write_bytes(b"<html>Not Found</html>")            # what a failed download may save
    assert file_problem(cut) == "is not a fastText model"


def test_a_whole_dense_model_passes_and_a_cut_one_is_said(tmp_path, shared_data):
    """The dense matrices of a model train-classifier writes (as fastText's .bin files are)."""
    text = (shared_data / "text" / "tinyshakespeare.txt").read_text().split("\n\n")
    path = tmp_path / "m.bin"
    train_classifier([t for t in text[:60] if t.strip()], [t for t in text[60:120] if t.strip()], path,
                     epochs=1, dim=8, bucket=500, holdout=0)
    assert file_problem(path) is None
    data = path.read_bytes()
    path.write_bytes(data[:-4])
    assert file_problem(path) == f"is cut short: {len(data) - 4:,} bytes, and its header and dictionary make it " \
                                 f"{len(data):,}"


def test_a_language_model_path_cut_short_is_a_load_error(tmp_path, lid176):
    cut = tmp_path / "glotlid.bin"
    cut.write_bytes(lid176[:int(len(lid176) * 0.99)])
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: t\noutput: {tmp_path / 'run'}\nsources:\n  - {{name: a, format: text, paths: "
                      f"[{bundled_lid176_path()}]}}\nstages:\n  - {{stage: language, model_path: {cut}}}\n")
    with pytest.raises(RecipeError, match=f"model_path: {cut} is cut short: "):
        load_recipe(recipe)


def test_labels_are_read_from_the_dictionary(tmp_path, lid176):
    labels = labels_of(bundled_lid176_path())
    assert len(labels) == 176 and {"__label__en", "__label__zh", "__label__ja"} <= set(labels)
    assert all(label.startswith("__label__") for label in labels)
    cut = tmp_path / "cut.ftz"
    cut.write_bytes(lid176[: len(lid176) // 10])
    assert labels_of(cut) == []


def _damage(data: bytes, how: str) -> bytes:
    """A model file damaged one way, the dictionary starting at byte 92 (after magic, version,
    the 12 ints and a double of Args and the dictionary's sizes)."""
    raw = bytearray(data)
    if how == "random dictionary bytes":         # a bad copy: its header intact
        raw[200:2000] = np.random.default_rng(0).integers(0, 256, 1800, dtype=np.uint8).tobytes()
    elif how == "flipped dictionary bytes":
        raw[120:160] = bytes(b ^ 0xFF for b in raw[120:160])
    elif how.startswith("negative"):            # a matrix header is 17 bytes (quantized, rows, columns)
        dim, bucket = struct.unpack_from("<i", raw, 8)[0], struct.unpack_from("<i", raw, 40)[0]
        output_rows = len(raw) - 4 * 2 * dim - 16
        input_rows = output_rows - 17 - 4 * (struct.unpack_from("<i", raw, 68)[0] + bucket) * dim
        if how == "negative output rows":
            struct.pack_into("<q", raw, output_rows, -3)
        else:
            struct.pack_into("<q", raw, input_rows, -10**9)
    elif how == "dictionary sizes that do not add up":
        struct.pack_into("<i", raw, 64, 7)       # entries, then words and labels
    return bytes(raw)


@pytest.mark.parametrize("how", ["random dictionary bytes", "flipped dictionary bytes", "negative input rows",
                                 "negative output rows", "dictionary sizes that do not add up"])
def test_a_damaged_model_is_a_one_line_error(tmp_path, shared_data, how):
    """Was: `struct.error: offset ... out of range` and a traceback from `validate` and `run` (random
    bytes in a large model's dictionary; here, negative input rows), the file passed as whole
    (negative output rows), or said to be cut short."""
    text = (shared_data / "text" / "tinyshakespeare.txt").read_text().split("\n\n")
    path = tmp_path / "m.bin"
    train_classifier([t for t in text[:60] if t.strip()], [t for t in text[60:120] if t.strip()], path,
                     epochs=1, dim=8, bucket=500, holdout=0)
    assert file_problem(path) is None and labels_of(path) == ["__label__hq", "__label__lq"]
    path.write_bytes(_damage(path.read_bytes(), how))
    problem = file_problem(path)
    assert problem.startswith("is damaged: its ") and "\n" not in problem, problem
    assert labels_of(path) == []
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: t\noutput: {tmp_path / 'run'}\nsources:\n  - {{name: a, format: text, paths: "
                      f"[{bundled_lid176_path()}]}}\nstages:\n  - {{stage: quality_classifier, model_path: {path}}}\n")
    with pytest.raises(RecipeError, match=f"quality model {path}: is damaged: its "):
        load_recipe(recipe)
