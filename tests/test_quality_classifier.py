"""Training a fastText quality model on real text, and scoring with it through fasttext-predict."""
import gzip
import json

import numpy as np
import pyarrow as pa
import pytest
import lxml.html

from pipeline.documents import documents_table
from pipeline.registry import resolve_stage
from stages import quality_classifier as qc
from stages.quality_classifier import QualityClassifier, cli_main, train_classifier


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
    emb, out, vocab = qc._read_fasttext_bin(path)
    norm = stage._norm
    ours = np.array([qc._forward(emb, out, np.array(vocab.ids(norm.tokens(t)), np.int64))
                     for t in norm.batch(pa.array(texts))])
    # fastText reports exp(log(p + 1e-5))
    np.testing.assert_allclose(ft, ours + 1e-5, atol=2e-6)


def test_cjk_characters_become_tokens():
    norm = qc.Normalisation()
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
    with pytest.raises(FileNotFoundError):
        QualityClassifier(model_path=str(tmp_path / "none.bin")).ensure_setup()
    assert resolve_stage("quality_classifier") is QualityClassifier
