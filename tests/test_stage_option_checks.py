"""Stage options that used to be accepted and then quietly did nothing (or everything): each is
refused when the recipe loads, or stops the run with one line, naming the key and what it takes."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.recipe import RecipeError, load_recipe
from pipeline.stage import StageError
from stages.chinese import ChineseClean
from stages.extract import Extract
from stages.language import LanguageFilter, bundled_lid176_path, load_fasttext_model
from stages.spam import SpamFilter

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def _recipe(tmp_path: Path, stages: str) -> Path:
    """A recipe over the bundled sample: web pages (WARC) and CCNet text (JSONL)."""
    p = tmp_path / "r.yaml"
    p.write_text(textwrap.dedent(f"""\
        name: t
        output: {tmp_path / "run"}
        sources:
          - name: zh_web
            format: warc
            paths: {SAMPLE / "zh" / "zh_pages.warc.gz"}
          - name: cc
            format: jsonl
            paths: {SAMPLE / "cc" / "ccnet_cc_en_head-0091.jsonl.gz"}
            id_field: id
        stages:
        """) + textwrap.indent(textwrap.dedent(stages), "  "))
    return p


def _load_error(tmp_path: Path, stages: str) -> str:
    with pytest.raises(RecipeError) as e:
        load_recipe(_recipe(tmp_path, stages))
    message = str(e.value)
    assert "\n" not in message
    return message


# -- chinese_clean: languages and scripts the stage can match ---------------------------------------

def test_chinese_clean_languages_must_be_language_labels(tmp_path):
    message = _load_error(tmp_path, """\
        - stage: extract
          apply_to: [zh_web]
        - stage: language
          languages: [en, zh]
        - stage: chinese_clean
          languages: [chinese]
          convert: s2t
        """)
    assert "stages[2] (chinese_clean): languages: 'chinese' not a lid.176 label" in message
    ok = load_recipe(_recipe(tmp_path, """\
        - stage: extract
          apply_to: [zh_web]
        - stage: language
        - stage: chinese_clean
          languages: [zh, yue]
        """))
    assert ok.stages[2].stage.languages == ["zh", "yue"]


def test_chinese_clean_languages_of_another_lid_model_are_its_own(tmp_path):
    # GlotLID writes labels like zho_Hani: with another model the labels are not lid.176's.
    ok = load_recipe(_recipe(tmp_path, f"""\
        - stage: extract
          apply_to: [zh_web]
        - stage: language
          model_path: {bundled_lid176_path()}
        - stage: chinese_clean
          languages: [zho_Hani]
        """))
    assert ok.stages[2].stage.languages == ["zho_Hani"]


def test_chinese_clean_scripts_must_be_names_the_detector_gives(tmp_path):
    message = _load_error(tmp_path, """\
        - stage: extract
          apply_to: [zh_web]
        - stage: chinese_clean
          scripts: [Han, Chinese]
        """)
    assert "stages[1] (chinese_clean).scripts: 'Han', 'Chinese' not a script name this stage detects" in message
    assert "Hans, Hant, Jpan" in message.replace("Hani, ", "")
    # A detected name selects documents: full-width digits of a Simplified text become ASCII.
    text = "这是一个简单的测试句子，价格是１２３元。"
    out = ChineseClean(scripts=["Hans"])(pa.table({"id": ["a"], "text": [text]}))
    assert out.kept.column("text").to_pylist() == [text.replace("１２３", "123")]


# -- extract ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["chinese", "zh-CN", "ZH", "zho"])
def test_extract_target_language_is_an_iso_639_1_code(tmp_path, value):
    message = _load_error(tmp_path, f"""\
        - stage: extract
          target_language: {value}
          apply_to: [zh_web]
        """)
    assert ("stages[0] (extract).target_language: expected an ISO 639-1 code, two lower-case letters "
            f"such as zh, en, de (got '{value}')") in message


def test_extract_target_language_two_letters_loads(tmp_path):
    ok = load_recipe(_recipe(tmp_path, """\
        - stage: extract
          target_language: zh
          apply_to: [zh_web]
        """))
    assert ok.stages[0].stage.target_language == "zh"


@pytest.mark.parametrize("engine, option", [
    ("resiliparse", "target_language: zh"),        # kept every language, silently
    ("resiliparse", "favor_precision: true"),
    ("trafilatura", "resiliparse_alt_texts: true"),
    ("trafilatura", "fallback_min_units: 10"),
])
def test_an_option_of_an_engine_the_stage_does_not_run_is_refused(tmp_path, engine, option):
    msg = _load_error(tmp_path, f"""\
        - stage: extract
          engine: {engine}
          {option}
        """)
    key = option.split(":")[0]
    assert f"stages[0] (extract): {key}: an option of engine " in msg and f"which engine: {engine} does not use" in msg


def test_auto_reads_the_options_of_both_engines(tmp_path):
    ok = load_recipe(_recipe(tmp_path, """\
        - stage: extract
          engine: auto
          favor_precision: true
          resiliparse_alt_texts: true
          fallback_min_units: 10
        """))
    assert ok.stages[0].stage.fallback_min_units == 10


def test_extract_on_documents_without_html_is_one_line():
    """x10: a second `extract` gets the first one's output, which has no `html` column."""
    page = ("<html><head><title>T</title></head><body><article><p>"
            + "A paragraph of the article that says something worth keeping. " * 8
            + "</p></article></body></html>")
    table = pa.table({"id": ["p"], "source": ["web"], "url": ["http://a.example/"], "html": [page]})
    first = Extract(engine="resiliparse", isolation="signal")(table)
    assert first.kept.num_rows == 1 and "html" not in first.kept.column_names
    with pytest.raises(StageError) as e:
        Extract(engine="resiliparse", isolation="signal")(first.kept)
    assert str(e.value).startswith("extract: its input has no column 'html' (it has: id, source, url, text, ")
    assert "extract already ran on these documents, or their source has no HTML" in str(e.value)
    assert "\n" not in str(e.value)


def test_second_extract_is_refused_at_load(tmp_path):
    """The runtime stop above, found when the recipe loads instead: also on the text source, which
    the first extract passes through, and not when the two have separate sources."""
    msg = _load_error(tmp_path, """\
        - stage: extract
        - stage: extract
          id: extract_again
        """)
    assert "stages[1] (extract_again) reads `html`, which stages[0] (extract) already consumed for " \
           "source 'zh_web'" in msg and "\n" not in msg
    msg = _load_error(tmp_path, """\
        - stage: extract
          apply_to: [cc]
        - stage: extract
          id: extract_again
          apply_to: [cc]
        """)
    assert "already consumed for source 'cc'" in msg
    ok = load_recipe(_recipe(tmp_path, """\
        - stage: extract
          apply_to: [zh_web]
        - stage: extract
          id: extract_cc
          apply_to: [cc]
        - stage: gopher_quality
        """))
    assert [s.id for s in ok.stages] == ["extract", "extract_cc", "gopher_quality"]


# -- language: model file and per-language thresholds -------------------------------------------

def test_language_model_path_that_is_not_a_fasttext_model(tmp_path):
    not_a_model = tmp_path / "small.yaml"
    not_a_model.write_text("name: small\nseed: 7\n")
    message = _load_error(tmp_path, f"""\
        - stage: extract
          apply_to: [zh_web]
        - stage: language
          model_path: {not_a_model}
        """)
    assert f"stages[1] (language): model_path: {not_a_model} is not a fastText model" in message
    # Loaded in a worker (the file replaced after the recipe was checked): one line too.
    with pytest.raises(StageError, match=rf"^language: {not_a_model} is not a fastText model \("):
        LanguageFilter(model_path=str(not_a_model)).ensure_setup()
    with pytest.raises(StageError):
        load_fasttext_model(not_a_model)


def test_language_thresholds_are_probabilities(tmp_path):
    message = _load_error(tmp_path, """\
        - stage: extract
          apply_to: [zh_web]
        - stage: language
          languages: [en, zh]
          thresholds: {en: 1.5}
        """)
    assert "stages[1] (language): thresholds: en: 1.5 is not a probability" in message
    assert "within [0, 1]" in message
    ok = load_recipe(_recipe(tmp_path, """\
        - stage: extract
          apply_to: [zh_web]
        - stage: language
          languages: [en, zh]
          thresholds: {en: 1.0, zh: 0}
        """))
    assert ok.stages[1].stage.thresholds == {"en": 1.0, "zh": 0}


# -- heuristic filters: shares are within [0, 1] ---------------------------------------------------

@pytest.mark.parametrize("stage, option, where", [
    ("gopher_repetition", "dup_line_frac: 30", "dup_line_frac"),
    ("gopher_repetition", "top_ngram_char_frac: {2: 20, 3: 0.18}", "top_ngram_char_frac"),
    ("gopher_quality", "min_alpha_words_ratio: 80", "min_alpha_words_ratio"),
    ("fineweb_quality", "line_punct_thr: 1.5", "line_punct_thr"),
    ("fineweb_quality", "char_dup_ratio: 1.01", "char_dup_ratio"),
    ("gopher_quality", "profiles: {zh-Hans: {max_bullet_lines_ratio: 90}}", "profiles.zh-Hans"),
])
def test_share_thresholds_above_one_are_refused(tmp_path, stage, option, where):
    message = _load_error(tmp_path, f"""\
        - stage: extract
          apply_to: [zh_web]
        - stage: {stage}
          {option}
        """)
    assert f"stages[1] ({stage})" in message and where in message
    assert "a share must be between 0 and 1 (30 % is 0.3), got" in message


def test_thresholds_that_are_not_shares_stay_unbounded(tmp_path):
    # Symbols and line breaks per word, word lengths and counts can all pass 1.
    r = load_recipe(_recipe(tmp_path, """\
        - stage: extract
          apply_to: [zh_web]
        - stage: gopher_quality
          max_symbol_word_ratio: 2
          max_avg_word_length: 20
          min_words: 30
        - stage: fineweb_quality
          new_line_ratio: 1.5
          short_line_length: 40
          line_punct_thr: 1
        - stage: gopher_repetition
          dup_line_frac: 1
          profiles: {en: {dup_para_frac: 0}}
        """))
    assert r.stages[1].stage.max_symbol_word_ratio == 2 and r.stages[2].stage.new_line_ratio == 1.5


# -- spam_filter: a title column the recipe names must exist ------------------------------------------

SPAM_TITLE = "澳门新葡京娱乐场-官方网站"
BODY = ("The city council voted on Tuesday to extend the bus network to the new hospital. "
        "Residents had asked for the route for years, and the first buses will run in spring.")


def test_spam_title_field_named_by_the_recipe_must_be_in_the_input():
    docs = pa.table({"id": ["a"], "text": [BODY], "url": [None], "title": [SPAM_TITLE]})
    with pytest.raises(StageError, match=r"^spam_filter: its input has no column 'page_title' "
                                         r"\(it has: id, text, url, title\)$"):
        SpamFilter(title_field="page_title")(docs)
    # Left at its default, a source without titles is ordinary: the other rules still judge.
    assert SpamFilter()(docs.drop_columns(["title"])).removed is None
    # Named and present, it is the title the rule reads.
    named = SpamFilter(title_field="page_title")(docs.rename_columns(["id", "text", "url", "page_title"]))
    assert named.removed.column("reason").to_pylist() == ["gambling_title"]

