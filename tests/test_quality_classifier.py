"""Training a fastText quality model on real text, and scoring with it through fasttext-predict."""
import gzip
import json
import re
import shutil
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pytest
import lxml.html

from pipeline.documents import documents_table
from pipeline.recipe import RecipeError, load_recipe
from pipeline.registry import resolve_stage
from pipeline.stage import StageError
from stages import quality_fasttext as qf
from stages import quality_train as qt
from stages.quality_classifier import QualityClassifier
from stages.quality_train import cli_main, train_classifier


def _positives(d):
    ref = [p for p in (d / "quality/high_quality_wiki_reference.txt").read_text().split("\n") if len(p.split()) > 20]
    arts = [v["articleBody"] for v in json.loads((d / "html/scrapinghub/ground-truth.json").read_text()).values()]
    wiki = [p.strip() for p in (d / "text/wikitext-2_valid.txt").read_text().split("\n")
            if len(p.split()) > 40 and not p.strip().startswith("=")]
    return ref + arts + wiki[:150], wiki[150:200]


def _negatives(d):
    """Boilerplate: page text outside the gold article (nav, footers, related links) + a CC page."""
    neg = [line for line in (d / "quality/low_quality_cc.txt").read_text().split("\n") if line.strip()]
    for k, v in json.loads((d / "html/scrapinghub/ground-truth.json").read_text()).items():
        html = gzip.open(d / f"html/scrapinghub/html/{k}.html.gz").read().decode("utf-8", "replace")
        tree = lxml.html.fromstring(html)
        for bad in tree.xpath("//script|//style|//noscript"):
            bad.drop_tree()
        pieces = [" ".join(x.split()) for x in tree.itertext()]
        pieces = [x for x in pieces if x and x not in v["articleBody"]]
        neg += [" ".join(pieces[i:i + 12]) for i in range(0, len(pieces), 12)]
    return neg


@pytest.fixture(scope="module")
def model(shared_data, tmp_path_factory):
    pos, unseen = _positives(shared_data)
    neg = _negatives(shared_data)
    path = tmp_path_factory.mktemp("qc") / "quality.bin"
    stats = train_classifier(pos, neg, path, epochs=5, dim=32, bucket=20000, seed=3)
    return path, stats, unseen, neg


def test_holdout_metrics_well_above_chance(model):
    path, stats, _, _ = model
    assert stats["holdout_positive"] >= 20 and stats["holdout_negative"] >= 5
    # chance: precision = share of positives (~0.3), F1 ~0.45
    assert stats["precision"] > 0.75 and stats["recall"] > 0.8 and stats["accuracy"] > 0.85
    saved = json.loads(path.with_name(path.name + ".json").read_text())
    assert saved["f1"] == stats["f1"] and saved["options"]["seed"] == 3


def test_stage_scores_clear_positive_above_clear_negative(model, shared_data):
    path, _, unseen, _ = model
    lq = (shared_data / "quality/low_quality_cc.txt").read_text()
    table = documents_table([dict(id="wiki", source="t", text=unseen[0]),
                             dict(id="nav", source="t", text=lq),
                             dict(id="empty", source="t", text="")])
    stage = QualityClassifier(model_path=str(path), threshold=0.5)
    result = stage(table)
    assert result.kept["id"].to_pylist() == ["wiki"]
    assert set(result.removed["reason"].to_pylist()) == {"low_quality_score"}
    scores = QualityClassifier(model_path=str(path), annotate_only=True)(table).kept["quality_score"].to_pylist()
    assert scores[0] > 0.8 and scores[1] < 0.3
    # unseen wikitext paragraphs score high on average
    assert stage.scores(pa.array(unseen[1:])).mean() > 0.7


def test_fasttext_predictions_equal_our_forward_pass(model):
    """The file is a real fastText model: fasttext-predict reproduces our own computation
    (tokens, FNV hashes with signed bytes, word-bigram buckets, softmax) exactly."""
    path, _, unseen, neg = model
    stage = QualityClassifier(model_path=str(path)).ensure_setup()
    texts = unseen[:20] + neg[:20] + ["Ünïcödé straße — naïve café ☕", "中文测试：这是一个句子。", ""]
    ft = stage.scores(pa.array(texts))
    emb, out, vocab = qf._read_fasttext_bin(path)
    norm = stage._norm
    ours = np.array([qt._forward(emb, out, np.array(vocab.ids(norm.tokens(t)), np.int64))
                     for t in norm.batch(pa.array(texts))])
    # fastText reports exp(log(p + 1e-5))
    np.testing.assert_allclose(ft, ours + 1e-5, atol=2e-6)


def test_cjk_characters_become_tokens():
    norm = qf.Normalisation()
    assert norm.tokens(norm.batch(pa.array(["Hello 世界ですね"]))[0]) == ["hello", "世", "界", "で", "す", "ね", "</s>"]


def test_cli_trains_from_files(shared_data, tmp_path):
    pos, _ = _positives(shared_data)
    neg = _negatives(shared_data)
    with gzip.open(tmp_path / "pos.jsonl.gz", "wt") as f:
        for t in pos[:120]:
            f.write(json.dumps({"body": t}) + "\n")
    (tmp_path / "neg.txt").write_text("\n".join(n.replace("\n", " ") for n in neg[:300]) + "\n")
    out = tmp_path / "m.bin"
    rc = cli_main(["--positive", str(tmp_path / "pos.jsonl.gz"), "--negative", str(tmp_path / "neg.txt"),
                   "--out", str(out), "--text-field", "body", "--dim", "16", "--bucket", "5000"])
    stats = json.loads((tmp_path / "m.bin.json").read_text())
    assert rc == 0 and out.is_file()
    assert stats["train_positive"] + stats["holdout_positive"] == 120
    assert stats["train_negative"] + stats["holdout_negative"] == 300


def test_missing_model_fails_in_setup(tmp_path):
    with pytest.raises(StageError, match="quality model not found"):
        QualityClassifier(model_path=str(tmp_path / "none.bin")).ensure_setup()
    assert resolve_stage("quality_classifier") is QualityClassifier


# -- small models, and what training and the stage refuse ------------------------------------------
@pytest.fixture(scope="module")
def tiny_data(shared_data):
    pos, _ = _positives(shared_data)
    return pos[:40], _negatives(shared_data)[:60]


@pytest.fixture(scope="module")
def tiny(tiny_data, tmp_path_factory):
    """A small model (and its .json) trained in well under a second."""
    path = tmp_path_factory.mktemp("tiny") / "t.bin"
    train_classifier(*tiny_data, path, epochs=10, dim=8, bucket=1000, holdout=0.2)
    return path


def _lines(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return str(path)


def _cli(capsys, *args):
    rc = cli_main([str(a) for a in args])
    return rc, capsys.readouterr()


def test_bucket_0_with_word_ngrams_is_refused(tiny_data, tiny, tmp_path, capsys):
    """--bucket 0 with word bigrams wrote a model on which fastText divides by zero (SIGFPE, exit 136)."""
    pos, neg = (_lines(tmp_path, f"{n}.txt", t) for n, t in zip("pn", tiny_data))
    rc, out = _cli(capsys, "--positive", pos, "--negative", neg, "--out", tmp_path / "b0.bin", "--bucket", "0")
    assert rc == 2 and out.err.startswith("error: bucket 0 with ngrams 2") and not (tmp_path / "b0.bin").exists()
    # words only need no buckets: that model is fine
    train_classifier(*tiny_data, tmp_path / "w.bin", ngrams=1, bucket=0, dim=8, epochs=2)
    assert len(QualityClassifier(model_path=str(tmp_path / "w.bin")).ensure_setup().scores(pa.array(["a b"]))) == 1
    # such a model written before the fix is refused by the stage instead of crashing its worker
    broken = tmp_path / "broken.bin"
    shutil.copy(tiny, broken)
    shutil.copy(f"{tiny}.json", f"{broken}.json")
    raw = bytearray(broken.read_bytes())
    struct.pack_into("<i", raw, 8 + 8 * 4, 0)  # Args.bucket
    broken.write_bytes(bytes(raw))
    with pytest.raises(StageError, match="crashes fastText"):
        QualityClassifier(model_path=str(broken)).ensure_setup()


def test_model_without_its_json_is_refused_unless_declared_foreign(tiny, tmp_path):
    """A copied .bin without <model>.json was scored with other text preparation (no lower-casing,
    no CJK splitting) without a word: zh AUC 0.999 -> 0.53."""
    bare = tmp_path / "copied.bin"
    shutil.copy(tiny, bare)
    with pytest.raises(StageError, match=r"copied\.bin\.json not found.*foreign_model: true"):
        QualityClassifier(model_path=str(bare)).ensure_setup()
    foreign = QualityClassifier(model_path=str(bare), foreign_model=True).ensure_setup()
    assert foreign._norm == qf.Normalisation(lowercase=False, split_cjk=False, max_chars=0)
    ours = QualityClassifier(model_path=str(tiny)).ensure_setup()
    assert ours._norm == qf.Normalisation()
    with pytest.raises(StageError, match="foreign_model is set, but"):
        QualityClassifier(model_path=str(tiny), foreign_model=True).ensure_setup()
    (tmp_path / "copied.bin.json").write_text('{"precision": 1}')
    with pytest.raises(StageError, match="not written by train-classifier"):
        QualityClassifier(model_path=str(bare)).ensure_setup()
    assert QualityClassifier(model_path=str(tiny)).data_files() == [f"{tiny}.json"]  # in the cache key
    help_text = subprocess.run([sys.executable, "-m", "pipeline", "train-classifier", "--help"],
                               capture_output=True, text=True).stdout
    assert "stats" not in help_text and "refuses a model without it" in " ".join(help_text.split())


@pytest.mark.parametrize("rows, name, message", [
    ([], "empty.jsonl", r"empty\.jsonl: no texts"),
    (['{"body": "x y"}'], "nofield.jsonl", r"nofield\.jsonl:1: no field 'text' \(fields: body\)"),
    (['{"text": "a b"}', "not json"], "bad.jsonl", r"bad\.jsonl:2: not a JSON line"),
    (['["a list"]'], "list.jsonl", r"list\.jsonl:1: expected a JSON object"),
    (['["a", "b"]'], "arr.json", r"arr\.json: item 0: expected a JSON object"),
    (['{"text": "a b"}', '{"text": null}', '{"text": 5}'], "five.jsonl", r"five\.jsonl:3: field 'text' is not a string: 5"),
])
def test_bad_training_input_is_one_line_error(tiny_data, tmp_path, capsys, rows, name, message):
    neg = _lines(tmp_path, "n.txt", tiny_data[1])
    rc, out = _cli(capsys, "--positive", _lines(tmp_path, name, rows), "--negative", neg, "--out", tmp_path / "m.bin")
    assert rc == 2 and out.err.count("\n") == 1 and "Traceback" not in out.err, out.err
    assert re.match("error: .*" + message, out.err), out.err


def test_json_array_file_is_read(tiny_data, tmp_path):
    arr = tmp_path / "pos.json"
    arr.write_text(json.dumps([{"text": t} for t in tiny_data[0]]))
    stats = train_classifier([arr], tiny_data[1], tmp_path / "m.bin", epochs=1, dim=4, bucket=100)
    assert stats["train_positive"] + stats["holdout_positive"] == len(tiny_data[0])


@pytest.mark.parametrize("args, message", [
    (["--dim", "0"], "dim must be >= 1"),
    (["--epochs", "0"], "epochs must be >= 1"),
    (["--holdout", "-0.5"], r"holdout must be in \[0, 1\)"),
    (["--holdout", "1"], r"holdout must be in \[0, 1\)"),
    (["--lr", "0"], "lr must be > 0"),
])
def test_option_ranges(tiny_data, tmp_path, capsys, args, message):
    pos, neg = (_lines(tmp_path, f"{n}.txt", t) for n, t in zip("pn", tiny_data))
    rc, out = _cli(capsys, "--positive", pos, "--negative", neg, "--out", tmp_path / "m.bin", *args)
    assert rc == 2 and re.match("error: " + message, out.err) and out.err.count("\n") == 1, out.err
    assert not (tmp_path / "m.bin").exists()


def test_one_class_and_same_inputs_are_refused(tiny_data, tmp_path, capsys):
    pos = _lines(tmp_path, "p.txt", tiny_data[0])
    rc, out = _cli(capsys, "--positive", pos, "--negative", pos, "--out", tmp_path / "m.bin")
    assert rc == 2 and "p.txt is both a positive and a negative input" in out.err
    rc, out = _cli(capsys, "--positive", pos, "--negative", _lines(tmp_path, "copy.txt", tiny_data[0]),
                   "--out", tmp_path / "m.bin")
    assert rc == 2 and "the positive texts all appear in the other class" in out.err
    rc, out = _cli(capsys, "--labelled", _lines(tmp_path, "l.jsonl", [{"text": t, "label": 1} for t in tiny_data[0]]),
                   "--positive-value", "1", "--out", tmp_path / "m.bin")
    assert rc == 2 and out.err.endswith("\nerror: need texts of both classes, got 40 positive and 0 negative\n")


def test_a_foreign_model_scores_the_whole_text(tiny, tiny_data, tmp_path):
    """Was: cut at 20,000 characters, as our own models are trained; DCLM's scorer feeds the whole
    line, so a page of 20k good characters and then spam scored as good."""
    bare = tmp_path / "foreign.bin"
    shutil.copy(tiny, bare)
    pos, neg = tiny_data
    good = " ".join(pos)
    while len(good) < 20_000:
        good += " " + good
    page = good[:20_000] + " " + " ".join(neg * 20)
    assert len(page) > 40_000
    stage = QualityClassifier(model_path=str(bare), foreign_model=True).ensure_setup()
    cut = QualityClassifier(model_path=str(tiny)).ensure_setup()
    whole, = stage.scores(pa.array([page]))
    first, = stage.scores(pa.array([good[:20_000]]))
    assert abs(whole - first) > 0.01          # the spam after the cut counts
    assert cut._norm.max_chars == 20_000      # ours: as trained


def test_a_training_file_that_is_not_there_is_an_error_not_a_text(tiny_data, tmp_path):
    """Was: the API took 'good_en_TYPO.jsonl' for a text and trained on its name."""
    for missing in ("good_en_TYPO.jsonl", "data/good/", str(tmp_path / "nope.txt.gz")):
        with pytest.raises(qt.TrainingError, match="no such file"):
            train_classifier([missing], tiny_data[1], tmp_path / "m.bin", epochs=1, dim=4, bucket=100)
    # one-word texts and sentences are still texts
    stats = train_classifier(["excellent", "a fine essay on rivers."] + tiny_data[0], tiny_data[1],
                             tmp_path / "ok.bin", epochs=1, dim=4, bucket=100, holdout=0)
    assert stats["train_positive"] == len(tiny_data[0]) + 2


def test_holdout_0_writes_null_metrics_not_nan(tiny_data, tmp_path):
    train_classifier(*tiny_data, tmp_path / "m.bin", holdout=0, epochs=2, dim=4, bucket=100)
    saved = json.loads((tmp_path / "m.bin.json").read_text(),
                       parse_constant=lambda c: pytest.fail(f"{c} in the stats json"))
    assert saved["holdout_positive"] == 0 and saved["f1"] is None and saved["auc"] is None


def test_undertrained_model_warns_and_small_sets_get_more_epochs(tiny_data, tiny, tmp_path, capsys):
    """5 epochs on a few hundred documents left every score near 0.5 and looked like success."""
    pos, neg = (_lines(tmp_path, f"{n}.txt", t) for n, t in zip("pn", tiny_data))
    rc, out = _cli(capsys, "--positive", pos, "--negative", neg, "--out", tmp_path / "m.bin", "--epochs", "1",
                   "--dim", "8", "--bucket", "1000")
    assert rc == 0 and re.search(r"^warning: every holdout score is within .*train more epochs", out.err, re.M)
    assert json.loads(out.out)["warnings"]
    assert json.loads((tiny.parent / "t.bin.json").read_text())["warnings"] == []
    # automatic epochs: ~10,000 document updates, 5 to 25 passes; recorded, and deterministic
    assert (qt.auto_epochs(349), qt.auto_epochs(1000), qt.auto_epochs(5000)) == (25, 10, 5)
    a = train_classifier(*tiny_data, tmp_path / "a.bin", dim=4, bucket=100)
    train_classifier(*tiny_data, tmp_path / "b.bin", dim=4, bucket=100)
    assert a["options"]["epochs"] == 25 and not a["warnings"]
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()


def test_labelled_jsonl_input(tiny_data, tmp_path, capsys):
    rows = [{"text": t, "label": 1} for t in tiny_data[0]] + [{"text": t, "label": 0} for t in tiny_data[1]]
    rows += [{"text": "an unsure row", "label": 2}]
    labelled = _lines(tmp_path, "l.jsonl", rows)
    rc, out = _cli(capsys, "--labelled", labelled, "--positive-value", "1", "--out", tmp_path / "m.bin",
                   "--dim", "4", "--bucket", "100")
    stats = json.loads(out.out)
    assert rc == 0 and stats["train_positive"] + stats["holdout_positive"] == 40
    assert stats["train_negative"] + stats["holdout_negative"] == 61
    rc, out = _cli(capsys, "--labelled", labelled, "--positive-value", "1", "--negative-value", "0",
                   "--out", tmp_path / "m.bin", "--dim", "4", "--bucket", "100")
    assert rc == 0 and "1 rows with other labels skipped" in out.err
    assert json.loads(out.out)["train_negative"] + json.loads(out.out)["holdout_negative"] == 60
    # Was: (0, 101, 0), then "0 positive" and a refusal of one class that did not say which
    # labels there were.
    with pytest.raises(qt.TrainingError, match=r"no row has label = 'true': the labels are '0' \(60 rows\), "
                                               r"'1' \(40 rows\), '2' \(1 rows\)"):
        qt.read_labelled(labelled, "label", "true")
    with pytest.raises(qt.TrainingError, match=r"no row has label = 'bad'"):
        qt.read_labelled(labelled, "label", "1", negative_value="bad")
    with pytest.raises(SystemExit):
        cli_main(["--labelled", labelled, "--out", str(tmp_path / "m.bin")])  # no --positive-value
    assert "--labelled needs --positive-value" in capsys.readouterr().err


def _recipe(tmp_path, shared_data, options: str):
    path = tmp_path / "r.yaml"
    path.write_text(textwrap.dedent(f"""
        name: t
        output: {tmp_path / "run"}
        sources:
          - name: web
            format: jsonl
            paths: [{shared_data / "text" / "ccnet_cc_en_head-0091.jsonl.gz"}]
        stages:
          - stage: quality_classifier
        """) + textwrap.indent(textwrap.dedent(options).strip(), " " * 4) + "\n")
    return path


def test_recipe_load_checks_the_model(tiny, tmp_path, shared_data):
    """A missing or garbage model, a missing .json or a wrong positive_label passed `validate` and
    failed at run time with a traceback."""
    assert load_recipe(_recipe(tmp_path, shared_data, f"model_path: {tiny}")).stages[0].stage.model_path == str(tiny)
    with pytest.raises(RecipeError, match=r"stages\[0\] \(quality_classifier\): quality model not found"):
        load_recipe(_recipe(tmp_path, shared_data, f"model_path: {tmp_path / 'none.bin'}"))
    garbage = tmp_path / "garbage.bin"
    garbage.write_text("garbage\n")
    with pytest.raises(RecipeError, match="not a fastText model"):
        load_recipe(_recipe(tmp_path, shared_data, f"model_path: {garbage}\nforeign_model: true"))
    with pytest.raises(StageError, match="not a fastText model"):
        QualityClassifier(model_path=str(garbage), foreign_model=True).ensure_setup()
    with pytest.raises(RecipeError, match=r"positive_label '__label__good' is not a label .*__label__hq"):
        load_recipe(_recipe(tmp_path, shared_data, f"model_path: {tiny}\npositive_label: __label__good"))
    bare = tmp_path / "bare.bin"
    shutil.copy(tiny, bare)
    with pytest.raises(RecipeError, match=r"bare\.bin\.json not found"):
        load_recipe(_recipe(tmp_path, shared_data, f"model_path: {bare}"))
    # a foreign model's labels are read from its dictionary: at load (was: after ingest, at setup)
    with pytest.raises(RecipeError, match=r"positive_label '__label__good' is not a label .*"
                                          r"\(its labels: __label__hq, __label__lq\)"):
        load_recipe(_recipe(tmp_path, shared_data,
                            f"model_path: {bare}\nforeign_model: true\npositive_label: __label__good"))
    assert load_recipe(_recipe(tmp_path, shared_data, f"model_path: {bare}\nforeign_model: true"))


# -- too little or lopsided training data, and what the stage says of it ------------------------
def test_too_few_texts_of_a_class_are_refused(tiny_data, tmp_path, capsys):
    """Was: 1 positive and 1 negative trained, warned "train more epochs", and a recipe then
    removed a fifth of its documents by scores all within 0.500-0.501."""
    pos, neg = tiny_data
    rc, out = _cli(capsys, "--positive", _lines(tmp_path, "p.txt", pos[:1]), "--negative",
                   _lines(tmp_path, "n.txt", neg[:1]), "--out", tmp_path / "m.bin")
    assert rc == 2 and out.err.count("\n") == 1 and not (tmp_path / "m.bin").exists(), out.err
    assert out.err.startswith(f"error: too few texts to learn from: 1 distinct positive and 1 distinct negative; "
                              f"each class needs at least {qt.MIN_TEXTS_PER_CLASS}")
    few = qt.MIN_TEXTS_PER_CLASS - 1
    with pytest.raises(qt.TrainingError, match=f"{few} distinct negative"):
        train_classifier(pos, neg[:few], tmp_path / "m.bin", epochs=1, dim=4, bucket=100)
    with pytest.raises(qt.TrainingError, match="1 distinct positive"):      # one text, many copies
        train_classifier(pos[:1] * 50, neg, tmp_path / "m.bin", epochs=1, dim=4, bucket=100)
    stats = train_classifier(pos[:qt.MIN_TEXTS_PER_CLASS], neg, tmp_path / "m.bin", epochs=1, dim=4, bucket=100)
    assert stats["train_positive"] + stats["holdout_positive"] == qt.MIN_TEXTS_PER_CLASS


def test_lopsided_classes_warn(shared_data, tiny_data, tmp_path):
    """Was: 312 positives against 3 negatives, no word of it."""
    neg = _negatives(shared_data)
    pos = tiny_data[0][:30]
    stats = train_classifier(pos, neg[:400], tmp_path / "m.bin", epochs=2, dim=4, bucket=100)
    assert [w for w in stats["warnings"] if w.startswith("the classes are 13 to 1 (30 positive, 400 negative)")]
    balanced = train_classifier(pos, neg[:300], tmp_path / "b.bin", epochs=2, dim=4, bucket=100)
    assert not [w for w in balanced["warnings"] if "classes are" in w]


def test_a_holdout_without_a_class_measures_nothing(shared_data, tiny_data, tmp_path):
    """Was: a holdout of 0 negatives (round(3 x 0.1) = 0) and precision, recall, F1 and accuracy 1.0."""
    pos, neg = tiny_data[0][:30], _negatives(shared_data)[:200]
    stats = train_classifier(pos, neg, tmp_path / "m.bin", holdout=0.015, epochs=2, dim=4, bucket=100)
    assert (stats["holdout_positive"], stats["holdout_negative"]) == (0, 3)
    assert {stats[k] for k in ("precision", "recall", "f1", "accuracy", "auc", "baseline_accuracy")} == {None}
    assert "the holdout has no positive texts (round(30 x 0.015) = 0): precision, recall, F1, accuracy and AUC " \
           "are not measured" in " ".join(stats["warnings"])
    saved = json.loads((tmp_path / "m.bin.json").read_text())
    assert saved["precision"] is None and saved["warnings"] == stats["warnings"]


def test_the_stage_says_at_load_that_its_model_was_trained_with_warnings(tiny_data, tiny, tmp_path,
                                                                         shared_data, caplog):
    """Was: the warnings stayed in <model>.json; `validate` and `run` used the model without a word."""
    path = tmp_path / "lopsided.bin"
    stats = train_classifier(tiny_data[0][:20], _negatives(shared_data)[:300], path, epochs=2, dim=4, bucket=100)
    assert stats["warnings"]
    with caplog.at_level("WARNING", logger="pipeline"):
        load_recipe(_recipe(tmp_path, shared_data, f"model_path: {path}"))
    said = [r.getMessage() for r in caplog.records if "trained with warnings" in r.getMessage()]
    assert len(said) == 1 and str(path) in said[0] and stats["warnings"][0] in said[0]
    # ... and the run's summary and report carry them (stats.json `warnings`, kind `setup`)
    (w,) = QualityClassifier(model_path=str(path)).run_warnings()
    assert str(path) in w and stats["warnings"][0] in w
    assert QualityClassifier(model_path=str(tiny)).run_warnings() == []
    # a model made before training refused so few texts: its counts say so
    old = tmp_path / "old.bin"
    shutil.copy(tiny, old)
    meta = json.loads((tiny.parent / "t.bin.json").read_text())
    (tmp_path / "old.bin.json").write_text(json.dumps({**meta, "train_positive": 1, "train_negative": 1,
                                                       "holdout_positive": 0, "holdout_negative": 0}))
    assert QualityClassifier(model_path=str(old)).training_warnings() == [
        f"trained on 1 positive and 1 negative texts; train-classifier now refuses fewer than "
        f"{qt.MIN_TEXTS_PER_CLASS} of a class"]
    caplog.clear()
    with caplog.at_level("WARNING", logger="pipeline"):
        load_recipe(_recipe(tmp_path, shared_data, f"model_path: {tiny}"))     # trained without warnings
    assert not [r for r in caplog.records if "trained with warnings" in r.getMessage()]


def test_the_threshold_is_declared_for_the_report(tiny):
    """Was: the report's threshold column showed "-" for quality_score."""
    assert QualityClassifier(model_path=str(tiny), threshold=0.7).declared_thresholds() == {
        "quality_score": [{"option": "threshold", "direction": "min", "value": 0.7}]}
    assert list(QualityClassifier(model_path=str(tiny), score_field="qs").declared_thresholds()) == ["qs"]


def test_the_columns_it_adds_are_declared_under_its_score_field(model):
    """The recipe loader follows them (a dedup's `score_column` is checked against them at load)."""
    stage = QualityClassifier(model_path=str(model[0]), score_field="edu_score", annotate_only=True)
    stage._ctx.stage_id = "qc"
    table = documents_table([dict(id="a", source="t", text="a few words of text")])
    added = set(stage(table).kept.column_names) - set(table.column_names)
    assert added == stage.output_columns("qc") == {"edu_score", "qc_reason"}
