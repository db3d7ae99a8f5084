"""The calibration tool: reference sets from real data, the per-rule measurement, the report command."""
from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from stages import calibration_sets as cs
from stages.calibrate import (REPO, CalibrateError, _keep_threshold, cli_main, measure, parse_overrides,
                              recipe_filters, samples_table)


def test_split_is_stable_and_about_a_third():
    ids = [f"doc:{i}" for i in range(900)]
    held = [cs.split(i) == "held_out" for i in ids]
    assert held == [cs.split(i) == "held_out" for i in ids]
    assert 0.28 < np.mean(held) < 0.39


def test_keep_threshold_keeps_95_percent():
    values = np.arange(1, 101, dtype=float)
    low = _keep_threshold(values, "<")
    assert (values < low).mean() == 0.05 and (values < low + 1).mean() > 0.05   # the strictest such
    high = _keep_threshold(values, ">")
    assert (values > high).mean() == 0.05 and (values > high - 1).mean() > 0.05
    assert (values >= _keep_threshold(values, ">=")).mean() <= 0.05
    assert (values <= _keep_threshold(values, "<=")).mean() <= 0.05
    assert _keep_threshold(np.array([]), "<") is None


def test_overrides_parse_and_must_exist():
    assert parse_overrides(["zh-Hans.min_words=30", "en.stop_words=[a, b]"]) == {
        "zh-Hans": {"min_words": 30}, "en": {"stop_words": ["a", "b"]}}
    with pytest.raises(CalibrateError, match=r"expected PROFILE\.KEY=VALUE"):
        parse_overrides(["min_words=30"])


def test_boilerplate_is_the_page_minus_its_gold_text(shared_data):
    base = shared_data / "zh/html/magic_html"
    gt = json.loads((base / "ground-truth.json").read_text())
    page_id = next(iter(gt))
    page = gzip.open(base / f"html/{page_id}.html.gz").read()
    junk = cs.boilerplate(page, gt[page_id]["content"])
    gold_lines = [line.strip() for line in gt[page_id]["content"].splitlines() if len(line.strip()) > 20]
    assert junk and not any(line in junk for line in gold_lines)


@pytest.fixture(scope="module")
def small_samples(shared_data):
    """Real clean text (gold news, CLUE documents) and junk (page boilerplate, stuffed and hijacked pages)."""
    clean = cs.english_news(shared_data)[:12] + cs.magic_html_gold(shared_data)[:10] + [
        cs.Sample("clean", "zh-Hans CLUE web text", "zh-Hans", t, f"clue:{i}")
        for i, t in enumerate(cs.clue_documents(shared_data)[:40])]
    junk = cs.boilerplate_pages(shared_data)[:20] + cs.stuffed_pages(per_list=1) + cs.hijacked_pages(clean)
    return clean + junk


def test_measure_on_real_samples(small_samples):
    stages = recipe_filters(REPO / "recipes/default.yaml")
    assert [n for n, _ in stages][:2] == ["language", "url_filter"]
    m = measure(samples_table(small_samples), stages)
    chain = {(c["profile"], c["split"], c["set"]): c for c in m["chain"]}
    zh_clean = chain[("zh-Hans", "dev", "clean")]["removed_language_aside"]
    zh_junk = chain[("zh-Hans", "dev", "junk")]["removed_language_aside"]
    assert zh_clean <= 0.1 and zh_junk >= 0.8
    hijacked = next(k for k in m["kinds"] if k["kind"].startswith("zh-Hans hijacked"))
    assert hijacked["removed_language_aside"] == 1.0
    assert any(r.startswith("spam_filter/") and r.endswith("_title") for r, _ in hijacked["top"])
    rule = next(r for r in m["rules"] if r["profile"] == "zh-Hans" and r["rule"] == "gopher_quality/too_few_words")
    assert rule["threshold"] == 50 and rule["op"] == "<" and rule["keep95"] is not None
    assert {p["kind"] for p in m["pii"]} == {"email", "ip", "phone", "id_number", "bank_card", "iban"}


def test_command_writes_the_report(small_samples, tmp_path):
    import pyarrow.parquet as pq
    samples = tmp_path / "s.parquet"
    pq.write_table(samples_table(small_samples[::3]), samples)
    out, js = tmp_path / "r.md", tmp_path / "m.json"
    assert cli_main(["--samples", str(samples), "--out", str(out), "--json", str(js), "--skip-pii",
                     "--set", "zh-Hans.min_words=10"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "## Per rule, on its own" in text and "| zh-Hans | gopher_quality/too_few_words | < | 10 |" in text
    assert json.loads(js.read_text())["chain"]


def test_made_junk_uses_list_phrases_only():
    pages = cs.stuffed_pages(per_list=2)
    assert len(pages) == 2 * 8 and all(p.set == "junk" and p.title and p.url for p in pages)
    assert not any("url:" in p.text for p in pages)
