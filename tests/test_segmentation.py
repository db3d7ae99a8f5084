"""Word segmentation: modes, real segmenters, punctuation handling and the per-process cache."""
import gzip

import pytest

from stages import segmentation as seg
from stages.scripts import scripts_batch


def test_mode_follows_script_then_language():
    assert seg.segmentation_mode("en", "Latn") == seg.WHITESPACE
    assert seg.segmentation_mode("zh", "Latn") == seg.JIEBA       # a Chinese post full of code
    assert seg.segmentation_mode("ja", "Latn") == seg.SUDACHI
    assert seg.segmentation_mode("zh", "Cyrl") == seg.WHITESPACE
    assert seg.segmentation_mode("zh", "Hans") == seg.JIEBA
    assert seg.segmentation_mode(None, "Hant") == seg.JIEBA
    assert seg.segmentation_mode("ja", "Hani") == seg.SUDACHI   # kanji-heavy Japanese
    assert seg.segmentation_mode(None, "Jpan") == seg.SUDACHI
    assert seg.segmentation_mode("th", "Thai") == seg.THAI
    assert seg.segmentation_mode("km", "Khmr") == seg.CHARS
    assert seg.segmentation_mode("ko", "Hang") == seg.WHITESPACE
    assert seg.segmentation_mode("en", "Hans") == seg.JIEBA     # the script is counted, not guessed
    # Chinese quoting kana (a Japanese lesson): the Chinese label decides, as it decides the profile
    assert seg.segmentation_mode("zh", "Jpan") == seg.JIEBA


def test_a_filter_segments_with_the_label_it_picks_the_profile_with():
    """Profile and words from one decision: a label the language stage was unsure of (below
    profile_min_language_score) picks neither; a zh label on a page whose kana make it Jpan picks
    both (zh-Hans and jieba), not zh-Hans thresholds on Sudachi's pieces."""
    import pyarrow as pa
    from stages.gopher import GopherQuality
    lesson = ("今天我们来学习几个日语问候语。早上见面时说おはようございます，意思是早上好。"
              "白天说こんにちは，晚上说こんばんは。分别时可以说さようなら。")
    hans = "委员会周二开会讨论预算问题。委员们对支出提出了若干担忧。主席承诺下周给出详细答复。"
    batch = pa.table({"text": [lesson, hans], "language": ["zh", "ja"], "language_score": [0.99, 0.3]})
    docs = GopherQuality().documents(batch)
    assert docs.scripts == ["Jpan", "Hans"]
    assert list(docs.profiles) == ["zh-Hans", "zh-Hans"] and docs.modes == [seg.JIEBA, seg.JIEBA]


def test_words_drop_punctuation_and_keep_inner_marks():
    (words,), (mode,) = seg.words_batch(
        ["Hello, world! It's state-of-the-art: 3.5 km... हिन्दी भाषा।"], ["en"], ["Latn"], use_cache=False)
    assert mode == seg.WHITESPACE
    assert words == ["Hello", "world", "It's", "state-of-the-art", "3.5", "km", "हिन्दी", "भाषा"]
    (tokens,), _ = seg.tokens_batch(["Hello, world!"], ["en"], ["Latn"], use_cache=False)
    assert tokens == ["Hello", ",", "world", "!"]


def test_chinese_japanese_thai_use_real_segmenters():
    texts = ["我爱北京天安门，天安门上太阳升。", "海に浮かぶ島々を縫って進むヨットの上で。", "ภาษาไทยง่ายนิดเดียว"]
    words, modes = seg.words_batch(texts, ["zh", "ja", "th"], scripts_batch(texts), use_cache=False)
    assert modes == [seg.JIEBA, seg.SUDACHI, seg.THAI]
    assert "天安门" in words[0] and "，" not in words[0] and "。" not in words[0]
    assert words[1][:5] == ["海", "に", "浮かぶ", "島々", "を"]   # Sudachi mode A units
    assert "ภาษาไทย" in words[2] and len(words[2]) >= 3


def test_japanese_numbers_stay_whole_words():
    # A market report: each number one word, as Sudachi's numeric joining makes it (not a word per digit).
    text = "2012年8月10日の終値は1万8234円56銭、TOPIXは12.34ポイント高の1,523.45だった。"
    (words,), (mode,) = seg.words_batch([text], ["ja"], ["Jpan"], use_cache=False)
    assert mode == seg.SUDACHI
    assert words[:4] == ["2012", "年", "8", "月"]
    assert "1万8234" in words and "12.34" in words and "1,523.45" in words
    assert not any(w.isdigit() and len(w) == 1 and w != "8" for w in words)


def test_real_chinese_corpus_segments_into_short_words(shared_data):
    lines = gzip.open(shared_data / "zh/text/CLUECorpusSmall_sampled.txt.gz", "rt").read().splitlines()[:200]
    words, modes = seg.words_batch(lines, use_cache=False)
    assert set(modes) <= {seg.JIEBA, seg.WHITESPACE}
    assert modes.count(seg.JIEBA) > 190
    n_words = sum(len(w) for w, m in zip(words, modes) if m == seg.JIEBA)
    n_chars = sum(sum(map(len, w)) for w, m in zip(words, modes) if m == seg.JIEBA)
    assert 1.3 < n_chars / n_words < 2.2   # jieba words average ~1.6 characters


def test_long_japanese_text_is_chunked_for_sudachi():
    text = "吾輩は猫である。名前はまだ無い。\n" * 3000   # ~48k characters, over Sudachi's byte limit
    (words,), (mode,) = seg.words_batch([text], ["ja"], ["Jpan"], use_cache=False)
    assert mode == seg.SUDACHI
    assert words.count("猫") == 3000


def test_cache_segments_each_document_once():
    seg.CACHE.clear()
    texts = ["这是一个用于测试缓存的句子。", "A sentence to test the cache."]
    first, _ = seg.words_batch(texts, ["zh", "en"], ["Hans", "Latn"])
    assert seg.CACHE.misses == 2 and seg.CACHE.hits == 0
    second, _ = seg.words_batch(texts, ["zh", "en"], ["Hans", "Latn"])
    assert seg.CACHE.hits == 2 and second == first
    assert second[0] is first[0]


def test_cache_is_bounded():
    cache = seg._SegmentationCache(max_tokens=10)
    for i in range(5):
        cache.put((i, 0, "whitespace", False), ["w"] * 4)
    assert cache.get((4, 0, "whitespace", False)) is not None
    assert cache.get((0, 0, "whitespace", False)) is None
    assert cache._tokens <= 10


def test_failing_segmenter_is_marked_not_raised(monkeypatch):
    def broken(text):
        raise RuntimeError("boom")
    monkeypatch.setitem(seg._segmenters, seg.JIEBA, broken)
    words, modes = seg.words_batch(["坏的文档", "fine text"], [None, None], ["Hans", "Latn"],
                                   errors="mark", use_cache=False)
    assert modes == [seg.ERROR, seg.WHITESPACE] and words[0] == []
    with pytest.raises(RuntimeError):
        seg.words_batch(["坏的文档"], [None], ["Hans"], use_cache=False)


def test_unavailable_segmenter_raises_clearly(monkeypatch):
    def fail():
        raise seg.SegmenterUnavailable("rjieba (Chinese segmenter) cannot load")
    monkeypatch.delitem(seg._segmenters, seg.JIEBA, raising=False)
    monkeypatch.setitem(seg._LOADERS, seg.JIEBA, fail)
    with pytest.raises(seg.SegmenterUnavailable):
        seg.words_batch(["中文"], ["zh"], ["Hans"], errors="mark", use_cache=False)


def test_setup_check_fails_on_a_missing_package_and_loads_nothing(monkeypatch):
    monkeypatch.delitem(seg._segmenters, seg.THAI, raising=False)
    monkeypatch.setitem(seg._PACKAGES, seg.THAI, ("no_such_thai_package",))
    with pytest.raises(seg.SegmenterUnavailable, match="no_such_thai_package"):
        seg.check_segmenters()
    monkeypatch.setitem(seg._PACKAGES, seg.THAI, ("pythainlp",))
    seg.check_segmenters()
    assert seg.THAI not in seg._segmenters          # found, not loaded: the first Thai document loads it
    assert seg.words_batch(["ทดสอบการตัดคำ"], ["th"], ["Thai"], use_cache=False)[1] == [seg.THAI]
    assert seg.THAI in seg._segmenters
