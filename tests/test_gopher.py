"""Gopher quality and repetition rules, on real text, in English and Chinese."""

import pyarrow as pa
import pytest

from stages.gopher import GopherQuality, GopherRepetition, alpha_token_counts
from stages.profiles import load_profile, profile_name
from bench.gold import cjk_articles, english_articles

ARTICLE_ZH = ("国务院新闻办公室今天举行新闻发布会，介绍今年以来国民经济运行的有关情况。发言人表示，"
              "在各方面共同努力下，我国经济持续恢复向好，生产供给稳步增加，市场需求逐步扩大，"
              "就业物价总体稳定，发展质量不断提升。他同时指出，当前外部环境依然复杂严峻，"
              "国内经济恢复的基础还不牢固，下一步要继续加大宏观政策调节力度，着力扩大国内需求。")


def reasons(stage, texts, languages=None):
    return stage.judge_texts(texts, languages)


@pytest.fixture(scope="module")
def good_en(shared_data):
    return (shared_data / "quality/high_quality_wiki_reference.txt").read_text()


def test_good_documents_pass(good_en):
    assert reasons(GopherQuality(), [good_en, ARTICLE_ZH], ["en", "zh"]) == [None, None]
    assert reasons(GopherRepetition(), [good_en, ARTICLE_ZH], ["en", "zh"]) == [None, None]


@pytest.mark.parametrize("text, reason", [
    ("Too short to be a document but otherwise fine and well written.", "too_few_words"),
    (" ".join(["a", "I", "is", "to", "of", "the", "be", "in"] * 10), "short_mean_word_length"),
    (" ".join(["internationalisation", "the", "with", "representatives"] * 20), "long_mean_word_length"),
    ("#tag #news #the #with " * 20, "symbol_ratio"),
    ("\n".join(f"• point number {i} with the thing and more words here" for i in range(20)), "bullet_lines"),
    ("\n".join(f"The story about item {i} continues with more text to read..." for i in range(20)),
     "ellipsis_lines"),
    (" ".join(f"{100000 + i} {200000 + 7 * i} {300000 + 13 * i} the word{i}" for i in range(30)),
     "alpha_words_ratio"),
    (" ".join(["apple", "orange", "banana", "cherry", "melon", "grape"] * 15) + ".", "few_stop_words"),
])
def test_each_quality_rule_fires(text, reason):
    assert reasons(GopherQuality(), [text], ["en"]) == [reason]


def test_chinese_word_count_uses_segmenter():
    stage = GopherQuality()
    out = stage(pa.table({"text": [ARTICLE_ZH, "今天天气很好。"], "language": ["zh", "zh"]}))
    counts = dict(zip(out.kept.column("text").to_pylist(), out.kept.column("gopher_word_count").to_pylist()))
    assert 50 < counts[ARTICLE_ZH] < 0.7 * len(ARTICLE_ZH)   # jieba words, not characters, not 1 "word"
    assert out.removed.column("reason").to_pylist() == ["too_few_words"]
    assert out.kept.column("segmentation").to_pylist() == ["jieba"]
    assert out.kept.column("quality_profile").to_pylist() == ["zh-Hans"]


def test_profiles_pick_stop_words_and_recipe_overrides():
    assert profile_name("zh", "Hant") == "zh-Hant" and profile_name(None, "Jpan") == "ja"
    assert profile_name("en", "Hans") == "zh-Hans" and profile_name("sw", "Latn") == "default"
    assert "的" in load_profile("zh-Hans")["stop_words"]
    no_function_words = "。".join(["国务院新闻办公室举行新闻发布会"] * 20)
    assert reasons(GopherQuality(), [no_function_words], ["zh"]) == ["few_stop_words"]
    relaxed = GopherQuality(profiles={"zh-Hans": {"min_stop_words": 0}})
    assert reasons(relaxed, [no_function_words], ["zh"]) == [None]
    strict = GopherQuality(profiles={"zh-Hans": {"min_words": 500}})
    assert reasons(strict, [ARTICLE_ZH], ["zh"]) == ["too_few_words"]
    explicit = GopherQuality(min_stop_words=0)   # set in the recipe: applies to every language
    assert reasons(explicit, [no_function_words], ["zh"]) == [None]
    with pytest.raises(ValueError):
        GopherQuality(profiles={"zh-Hans": {"dup_line_frac": 0.1}})   # not an option of this stage
    with pytest.raises(ValueError):
        GopherQuality(profiles={"klingon": {"min_words": 1}})


@pytest.mark.parametrize("text, reason", [
    ("\n\n".join(["Same paragraph repeated here with the words."] * 5 + ["Another one."]), "dup_para_frac"),
    ("\n".join(["A line that repeats with the same words in it."] * 5 + [f"Unique line {i} of the text."
                                                                       for i in range(6)]), "dup_line_frac"),
    ("\n".join(["This very long line repeats itself and carries most of the characters of the text."] * 2
               + [f"u{i} x" for i in range(8)]), "dup_line_char_frac"),
    (" ".join(f"buy now cheap deal number{i} and also other words" for i in range(12)), "top_2_gram"),
])
def test_each_repetition_rule_fires(text, reason):
    assert reasons(GopherRepetition(dup_para_char_frac=None), [text], ["en"]) == [reason]


def test_duplicated_ngrams_fire_in_english_and_chinese(good_en):
    words = good_en.split()[:300]
    looped = " ".join(words[:60] + words[:60] + words[60:120])
    stage = GopherRepetition(dup_line_frac=None, dup_para_frac=None, dup_line_char_frac=None,
                             dup_para_char_frac=None, top_ngram_char_frac={})
    assert reasons(stage, [looped], ["en"]) == ["dup_5_gram"]
    zh_looped = ARTICLE_ZH[:80] + ARTICLE_ZH[:80] + ARTICLE_ZH[80:]
    assert reasons(stage, [zh_looped], ["zh"]) == ["dup_5_gram"]
    out = stage(pa.table({"text": [good_en], "language": ["en"]}))
    assert out.kept.column("gopher_dup_5_gram_frac")[0].as_py() < 0.15


def test_batch_is_judged_like_each_document_alone(good_en):
    """The n-gram rules run over the whole batch at once: no n-gram may span two documents, and
    every signal must be what the document gets on its own."""
    words = good_en.split()
    tail = " ".join(words[:40])
    docs = [good_en, " ".join(words[:60] * 2 + words[60:200]), ARTICLE_ZH, ARTICLE_ZH[:80] * 2 + ARTICLE_ZH[80:],
            "", "one", "the the the the the the", tail + " " + tail[:80], tail + " closing words here"]
    languages = ["en", "en", "zh", "zh", "en", "en", "en", "en", "en"]
    stage = GopherRepetition()
    batch = stage(pa.table({"text": docs, "language": languages}))
    signals = [c for c in batch.kept.column_names if c.startswith("gopher_")]
    assert batch.removed is not None and len(signals) > 10
    both = pa.concat_tables([batch.kept, batch.removed.drop(["reason"])]).to_pylist()
    by_text = {r["text"]: r for r in both}
    for text, language in zip(docs, languages):
        alone = stage(pa.table({"text": [text], "language": [language]}))
        row = (alone.kept if alone.kept.num_rows else alone.removed).to_pylist()[0]
        assert {c: row[c] for c in signals} == {c: by_text[text][c] for c in signals}, text[:40]


def test_real_articles_mostly_pass(shared_data):
    en, cjk = english_articles(shared_data), cjk_articles(shared_data)
    for stage in (GopherQuality(), GopherRepetition()):
        en_keep = sum(r is None for r in stage.judge_texts(en)) / len(en)
        cjk_keep = sum(r is None for r in stage.judge_texts(cjk)) / len(cjk)
        print(f"{type(stage).__name__}: en {en_keep:.2f}, zh/ja {cjk_keep:.2f}")
        assert en_keep >= 0.8 and cjk_keep >= 0.8


def test_annotate_only_and_same_output_twice(good_en):
    stage = GopherQuality(annotate_only=True)
    table = pa.table({"text": [good_en, "short"]})
    a, b = stage(table), stage(table)
    assert a.kept.num_rows == 2 and a.kept.equals(b.kept)
    assert a.kept.column(f"{GopherQuality.name or 'GopherQuality'}_reason").to_pylist()[1] == "too_few_words"


def test_document_whose_segmenter_fails_is_quarantined(monkeypatch, good_en):
    from stages import segmentation

    def broken(text):
        raise RuntimeError("segmenter crashed on this document")
    stage = GopherQuality().ensure_setup()
    monkeypatch.setitem(segmentation._segmenters, segmentation.JIEBA, broken)
    out = stage(pa.table({"text": [good_en, "一份让分词器崩溃的文档"], "language": ["en", "zh"]}))
    assert out.kept.num_rows == 1 and out.removed is None
    assert out.quarantined.column("reason").to_pylist() == ["segmentation_error"]


def test_stages_are_registered():
    from pipeline.registry import resolve_stage
    from stages.c4 import C4Quality
    from stages.fineweb import FineWebQuality
    assert resolve_stage("gopher_quality") is GopherQuality
    assert resolve_stage("gopher_repetition") is GopherRepetition
    assert resolve_stage("c4_quality") is C4Quality
    assert resolve_stage("fineweb_quality") is FineWebQuality


def test_alpha_ratio_counts_punctuation_tokens_like_datatrove():
    """With alpha_ratio_tokens="tokens", punctuation and number tokens count in the alpha ratio's
    denominator (datatrove/FineWeb-2): a text whose words all have letters still fails when a
    quarter of its tokens are marks. The default ("words", Gopher's definition) keeps it."""
    words = ["the river", "with stones", "and a bridge", "to the old town", "of the valley"]
    plain = " ".join(f"{words[i % 5]} number" for i in range(40)) + "."
    marked = " ".join(f"{words[i % 5]} -- ( number ) :" for i in range(40)) + "."
    table = pa.table({"text": [plain, marked], "language": ["en", "en"]})
    assert GopherQuality().judge_texts([plain, marked], ["en", "en"]) == [None, None]
    stage = GopherQuality(annotate_only=True, alpha_ratio_tokens="tokens")
    out = stage(table).kept
    ratios = out.column("gopher_alpha_words_ratio").to_pylist()
    assert ratios[0] > 0.95 and ratios[1] < 0.8
    reason_col = next(c for c in out.column_names if c.endswith("_reason"))
    assert out.column(reason_col).to_pylist() == [None, "alpha_words_ratio"]
    # spaCy-like tokens: abbreviations, initials, clitics and hyphens as spaCy splits them
    alpha, total = alpha_token_counts(["Mr. J. Smith's 16-inch U.S. laptop..."], [[]], ["whitespace"])
    # Mr. | J. | Smith | 's | 16 | - | inch | U.S. | laptop | ...
    assert (alpha[0], total[0]) == (7, 10)


def test_alpha_ratio_in_chinese_counts_han_as_letters_and_punctuation_as_tokens():
    alpha, total = alpha_token_counts(
        ["今天，我们在2024年去了北京。"], [["今天", "我们", "在", "2024", "年", "去", "了", "北京"]], ["jieba"])
    # 8 words (7 with Han letters, '2024' without) + 2 punctuation marks
    assert (alpha[0], total[0]) == (7, 10)
    stage = GopherQuality(annotate_only=True)
    out = stage(pa.table({"text": [ARTICLE_ZH], "language": ["zh"]})).kept
    assert out.column("gopher_alpha_words_ratio").to_pylist()[0] > 0.8   # Han words are alphabetic


# --- Chinese-aware alpha-word ratio, one-line paragraphs, separator lines (real text) ---------------
@pytest.fixture(scope="module")
def clue_docs(shared_data):
    import gzip
    with gzip.open(shared_data / "zh/text/CLUECorpusSmall_sampled.txt.gz", "rt", encoding="utf-8") as f:
        return f.read().splitlines()


def _starting(docs, prefix):
    found = [d for d in docs if d.startswith(prefix)]
    assert len(found) == 1, prefix
    return found[0]


def test_dates_and_figures_in_chinese_count_as_words(clue_docs):
    """Three real Chinese Wikipedia paragraphs rich in dates and figures (CLUE wiki2019zh): kept by
    the default (words; a number next to a CJK word is part of the sentence), while datatrove's
    token count with FineWeb-2's cmn_Hani threshold 0.735 removed them."""
    from stages.gopher import words_with_letters
    paras = [_starting(clue_docs, p) for p in ("邵伯镇是江苏省", "韦埃拉潘恰特拉姆", "希奥利艾机场")]
    assert reasons(GopherQuality(), paras, ["zh"] * 3) == [None, None, None]
    old = GopherQuality(alpha_ratio_tokens="tokens", min_alpha_words_ratio=0.735)
    assert reasons(old, paras, ["zh"] * 3) == ["alpha_words_ratio"] * 3
    assert words_with_letters(["2023", "年", "5", "月", "GDP", "增长", "6.9%"], unspaced=True) == 7
    # a row of figures with no CJK word beside them is not a sentence
    assert words_with_letters(["收入", "2021", "2022", "2023", "12.5", "13.1"], unspaced=True) == 2
    assert words_with_letters(["in", "2023", "May"], unspaced=False) == 2


def test_one_line_paragraph_ending_in_ellipsis_is_a_sentence(clue_docs):
    one_line = next(d for d in clue_docs if d.endswith("……") and len(d) > 200)   # a real one-line text
    assert reasons(GopherQuality(), [one_line], ["zh"]) == [None]
    assert reasons(GopherQuality(line_rules_min_lines=1), [one_line], ["zh"]) == ["ellipsis_lines"]


def test_separator_lines_are_not_duplicate_content(shared_data):
    """A real Gutenberg magazine (pg10026) repeats '*       *       *' between articles."""
    import gzip
    import re
    raw = gzip.open(shared_data / "sources/books/gutenberg/pg10026.clean.txt.gz", "rt", encoding="utf-8").read()
    paras = [" ".join(p.split()) if "*" not in p else p.strip()
             for p in re.split(r"\n\s*\n", raw.replace("\r\n", "\n")) if p.strip()][:40]
    text = "\n\n".join(paras)
    assert text.count("*       *") >= 3
    out = GopherRepetition(annotate_only=True)(pa.table({"text": [text], "language": ["en"]})).kept
    assert out.column("gopher_dup_para_frac").to_pylist()[0] == 0.0


def test_an_unsure_language_label_does_not_pick_its_profile(shared_data):
    """lid.176 calls Xhosa and Zulu English with scores of 0.1-0.2: English stop words then
    removed their good prose. Below `profile_min_language_score` the default profile judges."""
    import csv
    with open(shared_data / "text" / "multilingual_sentences.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    texts = [" ".join(r["text"] for r in rows if r["lang_iso639_1"] == lang)[:3000] for lang in ("xh", "zu")]

    def verdict(score):
        table = pa.table({"text": texts, "language": ["en", "en"], "language_score": [score, score]})
        out = GopherQuality()(table)
        return out.kept.column("quality_profile").to_pylist(), \
            [] if out.removed is None else out.removed.column("reason").to_pylist()
    assert verdict(0.14) == (["default", "default"], [])
    assert verdict(0.95) == ([], ["few_stop_words", "few_stop_words"])


# --- mean word length of mixed-script text; the Chinese ellipsis ----------------------------------------
@pytest.fixture(scope="module")
def chinese_post_with_code(shared_data):
    """A real CSDN article (magic-html gold) with real C code (cJSON.c) after every third paragraph,
    as tech posts are written: its dominant script is Latn, so it is cut into words at spaces."""
    import gzip
    import json
    import re
    gold = json.loads((shared_data / "zh/html/magic_html/ground-truth.json").read_text(encoding="utf-8"))
    prose = next(v["content"] for k, v in gold.items() if k.startswith("d231b17088"))
    code = gzip.open(shared_data / "sources/code/DaveGamble__cJSON/cJSON.c.gz", "rt", encoding="utf-8").read()
    blocks = [b for b in re.split(r"\n\s*\n", code) if len(b) > 80]
    out = []
    for i, para in enumerate(p for p in prose.split("\n") if p.strip()):
        out.append(para)
        if i % 3 == 2:
            out.append("```\n" + "\n\n".join(blocks[i - 2:i]) + "\n```")
    return "\n".join(out)


def _plain_mean(words):
    return sum(map(len, words)) / len(words)


def test_latin_words_in_chinese_text_are_judged_on_the_english_scale(chinese_post_with_code):
    """Against the Chinese limit 5, a Chinese post's code identifiers (Latin words, mean ~5.8) made
    the plain mean exceed it and the post was removed, while English tech docs pass under 10. Each
    foreign word is now measured on the English scale, mapped onto the Chinese one."""
    from stages import segmentation
    table = pa.table({"text": [chinese_post_with_code], "language": ["zh"], "language_score": [0.95]})
    stage = GopherQuality(annotate_only=True)
    out = stage(table).kept
    assert out.column("quality_profile").to_pylist() == ["zh-Hans"]
    assert out.column("segmentation").to_pylist() == ["jieba"]   # a Latn text labelled zh: its clauses cut
    words, _ = segmentation.words_batch([chinese_post_with_code], ["en"], ["Latn"])
    assert _plain_mean(words[0]) > 5        # what the rule used to see: cut at spaces, the plain mean
    mean = out.column("gopher_mean_word_length").to_pylist()[0]
    assert 1 < mean < 5
    reason = next(c for c in out.column_names if c.endswith("_reason"))
    assert out.column(reason).to_pylist()[0] not in ("long_mean_word_length", "short_mean_word_length")
    # cut at spaces, each Chinese clause was one word and no stop word stood alone
    assert out.column(reason).to_pylist()[0] != "few_stop_words"


def test_foreign_words_only_are_judged_as_english_would_be(good_en):
    """A text of foreign words only in a Chinese profile gets the English verdict on word length."""
    texts = [good_en, " ".join(["internationalisation", "the", "with", "representatives"] * 20),
             " ".join(["a", "I", "is", "to", "of", "the", "be", "in"] * 10)]
    stage = GopherQuality(min_stop_words=None, min_alpha_words_ratio=None)
    as_english = stage.judge_texts(texts, ["en"] * 3)
    assert as_english == [None, "long_mean_word_length", "short_mean_word_length"]
    assert stage.judge_texts(texts, ["zh"] * 3) == as_english


def test_pure_chinese_and_english_mean_word_length_is_the_plain_mean(clue_docs, shared_data):
    """300 real Chinese documents without a letter of another script and 300 English ones (some
    with quoted Chinese words): the signal is the plain mean over all words, as before."""
    import gzip
    import re
    from bench.gold import english_articles
    from stages import segmentation
    from stages.scripts import dominant_script
    zh = [d for d in clue_docs if not re.search(r"[^\W\d_\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff]", d)][:300]
    wiki = open(shared_data / "text/wikitext-2_valid.txt", encoding="utf-8").read()
    en = ([gzip.open(shared_data / "sources/wiki/wikitext/Goryeo-ware.txt.gz", "rt", encoding="utf-8").read()]
          + english_articles(shared_data) + [a for a in re.split(r"\n = [^=\n]+ = \n", wiki) if len(a) > 500])
    for book in sorted((shared_data / "sources/books/gutenberg").glob("*.clean.txt.gz")):
        paras = [p for p in re.split(r"\n\s*\n", gzip.open(book, "rt", encoding="utf-8").read()) if p.strip()]
        en += ["\n\n".join(paras[i:i + 15]) for i in range(0, min(len(paras), 450), 15)]
    en = [t for t in en if dominant_script(t) == "Latn"][:300]
    assert len(zh) == 300 and len(en) == 300
    texts, languages = zh + en, ["zh"] * 300 + ["en"] * 300
    out = GopherQuality(annotate_only=True)(pa.table({"text": texts, "language": languages})).kept
    profiles = out.column("quality_profile").to_pylist()
    assert set(profiles[:300]) == {"zh-Hans", "zh-Hant"} and profiles[300:] == ["en"] * 300
    words, _ = segmentation.words_batch(texts, languages)
    expected = pa.array([_plain_mean(w) if w else 0.0 for w in words], pa.float32()).to_pylist()
    assert out.column("gopher_mean_word_length").to_pylist() == expected


def test_chinese_ellipsis_is_one_symbol(shared_data, good_en):
    """The Chinese ellipsis "……" is one mark written with two U+2026: counted twice, a novel's
    dialogue with one per ~17 words passed the 0.1 symbol ratio. English "..." and "…" count as before."""
    import json
    gold = json.loads((shared_data / "zh/html/magic_html/ground-truth.json").read_text(encoding="utf-8"))
    novel = next(v["content"] for k, v in gold.items() if k.startswith("19851fb2"))   # a Qidian chapter
    parts = novel.split("，")
    trailing = "".join(p + ("……" if i % 3 != 2 else "，") for i, p in enumerate(parts[:-1])) + parts[-1]
    stage = GopherQuality(annotate_only=True)
    out = stage(pa.table({"text": [trailing], "language": ["zh"]})).kept
    n_words = out.column("gopher_word_count").to_pylist()[0]
    ellipses = trailing.count("……")
    assert 15 <= n_words / ellipses <= 20 and 2 * ellipses / n_words > 0.1
    assert out.column("gopher_symbol_ratio").to_pylist()[0] == pytest.approx(ellipses / n_words, rel=1e-6)
    assert reasons(GopherQuality(), [trailing], ["zh"]) == [None]
    # English: "..." and a lone "…" each count once, as Gopher counts them
    words = good_en.split()[:400]
    dots = " ".join(w + ("..." if i % 8 == 7 else "") for i, w in enumerate(words))
    single = dots.replace("...", "…")
    en = GopherQuality(annotate_only=True)(pa.table({"text": [dots, single], "language": ["en", "en"]})).kept
    ratios = en.column("gopher_symbol_ratio").to_pylist()
    counts = en.column("gopher_word_count").to_pylist()
    assert ratios[0] == pytest.approx((dots.count("...") + dots.count("…")) / counts[0], rel=1e-6)
    assert ratios[1] == pytest.approx((single.count("...") + single.count("…")) / counts[1], rel=1e-6)
    assert reasons(GopherQuality(), [dots, single], ["en", "en"]) == ["symbol_ratio", "symbol_ratio"]
