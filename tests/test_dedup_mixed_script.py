"""minhash_dedup's shingles of mixed Chinese/English text (stages/dedup/minhash.py).

Before, a document was shingled either by words or, if its language or majority script made it
Chinese/Japanese, by characters; a bilingual page and its copy with one more Chinese sentence
could land on opposite sides and share no shingle (Jaccard 0 instead of ~0.9). Now every
document's items are its Han/kana characters and the words between them."""
import gzip
import random

import pyarrow as pa
import pytest

from pipeline.documents import documents_table
from pipeline.executor import start_ray
from stages.dedup.fuzzy import MinHashDedup
from stages.dedup.local import run_global, write_input
from stages.dedup.minhash import (Shingling, is_char_item, item_lists, mixed_items, permutations, shingle_hash,
                                  shingle_hash_arrays, shingles_of, signatures, word_shingle_hash)
from stages.dedup.normalize import normalize_texts
from stages.segmentation import words_batch
from test_dedup_minhash import assert_signatures_equal_datasketch

EN = ["This morning the city government held a press conference on the latest progress of urban "
      "transport construction this year.",
      "The new metro line will open at the end of next year, which will greatly ease traffic pressure downtown.",
      "Residents generally welcomed the news and said commuting would become more convenient.",
      "Officials also announced new bus routes and bicycle lanes for the eastern districts."]
ZH = ["今天上午，市政府召开新闻发布会，介绍了今年城市交通建设的最新进展。",
      "新建的地铁线路将于明年年底通车，届时将大大缓解城区的交通压力。",
      "市民普遍对此表示欢迎，认为出行将更加方便。"]
MORE_ZH = "更多信息请访问市政府官方网站。"
MORE_EN = "More information is available on the official city website."


def probe_pairs() -> list[tuple[str, str]]:
    """The probe's pages (4 English sentences + 1-3 Chinese) and each with one more Chinese or
    English sentence; lid.176 calls a base page en and its copy zh, or the other way round."""
    pairs = []
    for k in (1, 2, 3):
        base = "\n".join(EN + ZH[:k])
        pairs += [(base, base + "\n" + MORE_ZH), (base, base + "\n" + MORE_EN)]
    zh_first = "\n".join(["".join(ZH[:2]), " ".join(EN[:2])] * 3)
    pairs += [(zh_first, zh_first + "\n" + MORE_ZH), (zh_first, zh_first + "\nFor more information please "
                                                               "visit the official website of the city.")]
    return pairs


def hash_sets(texts, cfg=Shingling(), languages=None, scripts=None):
    items, sizes = item_lists(pa.array(texts), cfg, languages, scripts)
    return [set(h.tolist()) for h in shingle_hash_arrays(items, sizes)]


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b)


def test_a_text_without_cjk_characters_keeps_its_shingles(shared_data):
    """(1) Exactly the shingle hashes of before: pinned values from the previous scheme, and the
    words of the document's segmenter hashed as before, in every language without Han or kana."""
    texts = ["The state-of-the-art café didn't open until 3.5 hours later — © 2024 Example Media, "
             "all rights reserved.",
             "Привет, мир! Это тестовый документ на русском языке, 2024 год.",
             "서울특별시는 대한민국의 수도이며 최대 도시이다. 인구는 약 950만 명이다."]
    before = {  # computed by the previous minhash.py (stage version 1)
        5: [[3252120216, 386723403, 2085955658, 3647098679, 3418914190, 1664351891, 2773094373,
             42551783, 2596288225, 3229604246, 1587586456],
            [2029130125, 2974868621, 223666210, 1076231543, 3852373767, 2792000068],
            [2804824132, 2221253073, 1121047187, 2300038796, 2874195185]],
        3: [[1935548519, 863762185, 3271169566, 1554906463, 962253767, 928293993, 2397177705,
             123201883, 1309698679, 4216432759, 1187260152, 4248520934, 785083682],
            [1259233466, 3322872536, 3414990826, 2422848472, 293638655, 3062097525, 4213193503, 1775000473],
            [1323691793, 3535781595, 3636238839, 244203121, 3632366852, 1376457983, 1846273959]]}
    for n, want in before.items():
        for languages in (None, ["en", "ru", "ko"]):
            items, sizes = item_lists(pa.array(texts), Shingling(ngram=n, cjk_ngram=7), languages)
            assert [h.tolist() for h in shingle_hash_arrays(items, sizes)] == want
    # 60 languages (Thai by its dictionary segmenter, Hindi with its vowel signs ...), labelled
    lines = (shared_data / "text" / "multilingual_sentences.tsv").read_text().split("\n")[1:]
    rows = [line.split("\t", 1) for line in lines if line and line.split("\t", 1)[0] not in ("zh", "ja")]
    docs = [(rows[i][0], " ".join(t for _, t in rows[i:i + 5])) for i in range(0, len(rows), 5)]
    langs, texts = [d[0] for d in docs], [d[1] for d in docs]
    assert {"th", "hi", "ko", "ar", "en"} <= set(langs)
    items, sizes = item_lists(pa.array(texts), Shingling(), langs)
    norm = normalize_texts(pa.array(texts), Shingling().normalization).to_pylist()
    words, _ = words_batch(norm, langs)
    checked = 0
    for text, w, h in zip(norm, words, shingle_hash_arrays(items, sizes)):
        if not any(map(is_char_item, text)):     # 4 Korean docs quote hanja, a Basque one a kanji name
            assert h.tolist() == [word_shingle_hash(s) for s in shingles_of(w, 5)]
            checked += 1
    assert checked > 0.95 * len(texts)


def test_items_are_cjk_characters_and_the_words_between_them():
    assert mixed_items("用python读取2.0版,state-of-the-art的__init__方法") == \
        ["用", "python", "读", "取", "2.0", "版", "state-of-the-art", "的", "__init__", "方", "法"]
    assert mixed_items("コーヒーを飲む") == list("コーヒーを飲む")                    # ー is kana
    assert mixed_items("대한민국은 民主共和國이다") == ["대한민국은", "民", "主", "共", "和", "國", "이다"]
    assert mixed_items("ພາສາລາວ lao") == ["ພ", "າ", "ສ", "າ", "ລ", "າ", "ວ", "lao"]          # cut per letter
    # item_lists, in a batch of all kinds (the normalisation drops the spaces next to Chinese first)
    texts = ["这篇文章介绍如何用 Python 3.11 读取 config.json 文件。", "plain English only",
             "\x01stray\x01控制符\x01", "日本語とEnglish、한국어も", ""]
    items, sizes = item_lists(pa.array(texts), Shingling())
    assert items[0] == ["这", "篇", "文", "章", "介", "绍", "如", "何", "用", "python", "3.11", "读", "取",
                        "config", "json", "文", "件"]
    assert items[1] == ["plain", "english", "only"] and items[4] == [] and len(items) == 5
    assert items[2] == ["stray", "控", "制", "符"]                 # a marker-like character is no item
    assert items[3] == ["日", "本", "語", "と", "english", "한국어", "も"]
    # a Chinese label on a text without Han characters (code): its words, not its letters
    code, _ = item_lists(pa.array(["print(x) 3.5"]), Shingling(), ["zh"], ["Latn"])
    assert code[0] == ["print", "x", "3.5"]


def test_bulk_items_equal_the_plain_split():
    """The columnar path (runs of characters as markers, numpy) against `mixed_items` on random
    strings of every kind of character, in batches of mixed documents; a document without
    character items keeps its segmenter's words (Thai's dictionary words here), and so does a Thai
    one with character items (their hashes are still shingle_hash's)."""
    rng = random.Random(7)
    alphabet = list("ab XY 09 _-'’.,\n\x01 中文字日本語カタカナひらがなー・〇々⺀ 한국어 ไทย ລາວ ខ្មែរ "
                    "မြန်မာ བོད \u0301é\u3099")
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(600)]
    norm = normalize_texts(pa.array(texts), Shingling().normalization).to_pylist()
    words, modes = words_batch(norm)
    for cfg in (Shingling(), Shingling(ngram=2, cjk_ngram=4)):
        items, sizes = item_lists(pa.array(texts), cfg)
        for text, w, mode, it, n, h in zip(norm, words, modes, items, sizes, shingle_hash_arrays(items, sizes)):
            assert it == (mixed_items(text) if any(map(is_char_item, text)) and mode != "thai" else w)
            assert h.tolist() == [shingle_hash(s) for s in shingles_of(it, n)]
    assert sum(any(map(is_char_item, t)) for t in norm) > 400


def test_near_duplicates_share_shingles_whatever_their_labels():
    """(2) A page and its copy with one more Chinese or English sentence: the same shingles with
    any language labels and scripts, and estimated Jaccard close to the exact one, above 0.8."""
    a, b = permutations(128, 1)
    for x, y in probe_pairs():
        labels = ((None, None), (["en", "zh"], ["Latn", "Hans"]), (["zh", "en"], ["Hans", "Latn"]),
                  (["zh", "zh"], None))
        sets = [hash_sets([x, y], languages=langs, scripts=scripts) for langs, scripts in labels]
        assert all(s == sets[0] for s in sets)
        exact = jaccard(*sets[0])
        items, sizes = item_lists(pa.array([x, y]), Shingling(), ["en", "zh"])
        sig = signatures(shingle_hash_arrays(items, sizes), a, b)
        estimate = float((sig[0] == sig[1]).mean())
        assert exact > 0.8 and estimate > 0.8 and abs(estimate - exact) < 0.1, (y[-40:], exact, estimate)


def test_chinese_and_english_texts_plus_a_sentence_of_the_other(shared_data):
    """(2) Real Chinese documents (with their numbers and Latin words) plus one English sentence,
    and English paragraphs plus one Chinese sentence: every shingle of the text is kept, and the
    only new ones are the windows touching the added sentence's items (one per Han character:
    33 characters weigh like 33 words, so a Chinese sentence is a larger share of a text than its
    English translation)."""
    with gzip.open(shared_data / "zh" / "text" / "CLUECorpusSmall_sampled.txt.gz", "rt") as f:
        zh = [line.strip() for line in f if 400 < len(line.strip()) < 1500][:30]
    en = [line.strip() for line in (shared_data / "text" / "wikitext-2_valid.txt").read_text().split("\n")
          if 1000 < len(line.strip()) < 2000][:30]
    assert sum(any(c.isascii() and c.isalnum() for c in t) for t in zh) > 10   # numbers, Latin words
    pairs = [(t, " " + EN[i % 4]) for i, t in enumerate(zh)] + [(t, ZH[i % 3]) for i, t in enumerate(en)]
    for x, added in pairs:
        y = x + added
        sx, sy = hash_sets([x, y])
        assert sx <= sy and len(sy - sx) <= len(mixed_items(added.strip().lower())) + 4
        assert jaccard(sx, sy) > 0.8
        # the same whether the language stage calls them both zh, both en, or one of each
        assert hash_sets([x, y], languages=["zh", "en"]) == [sx, sy]
        assert hash_sets([x, y], languages=["en", "zh"]) == [sx, sy]


def test_signatures_of_mixed_text_equal_datasketch(shared_data):
    """(4) Our signatures are datasketch's MinHash of the shingles with `shingle_hash`."""
    with gzip.open(shared_data / "zh" / "text" / "CLUECorpusSmall_sampled.txt.gz", "rt") as f:
        zh = [line.strip() for line in f if any(c.isascii() and c.isalnum() for c in line)][:20]
    texts = [t for pair in probe_pairs() for t in pair] + zh + ["コーヒーを飲む。Coffee time!", "Only English."]
    for cfg in (Shingling(), Shingling(ngram=3, cjk_ngram=6)):
        assert_signatures_equal_datasketch(texts, cfg, shingle_hash)


def test_shingles_are_deterministic_and_independent_of_the_batch(shared_data):
    """(5) A document's shingle hashes are fixed (pinned values) and do not depend on which
    documents share its batch or in what order."""
    mixed = "这篇文章介绍如何用Python 3.11读取config.json文件。コーヒーを飲む。대한민국은 民主共和國이다."
    items, sizes = item_lists(pa.array([mixed]), Shingling())
    assert shingle_hash_arrays(items, sizes)[0].tolist() == [
        675999604, 2473614611, 3811651013, 2914128072, 2769429976, 1829001839, 1191952811, 1013959377,
        1749324567, 24114524, 2076108016, 2319035756, 3554790224, 1979452744, 2171214493, 620895794,
        2617065148, 3854877581, 1574173069, 3233537244, 3379209201, 4116826522, 951893151, 2205952646,
        1068630067, 126748031, 3994835741]
    with gzip.open(shared_data / "zh" / "text" / "CLUECorpusSmall_sampled.txt.gz", "rt") as f:
        zh = [line.strip() for line in f][:40]
    texts = zh + [t for pair in probe_pairs() for t in pair] + EN + [mixed, ""]
    cfg = Shingling(ngram=4, cjk_ngram=6)
    items, sizes = item_lists(pa.array(texts), cfg)
    together = [h.tolist() for h in shingle_hash_arrays(items, sizes)]
    order = random.Random(3).sample(range(len(texts)), len(texts))
    items, sizes = item_lists(pa.array([texts[i] for i in order]), cfg)
    shuffled = [h.tolist() for h in shingle_hash_arrays(items, sizes)]
    assert [together[i] for i in order] == shuffled
    for i in (0, 41, len(texts) - 2):
        items, sizes = item_lists(pa.array([texts[i]]), cfg)
        assert shingle_hash_arrays(items, sizes)[0].tolist() == together[i]


def test_window_size_when_ngram_and_cjk_ngram_differ():
    """cjk_ngram for a document with more character items than words, ngram otherwise."""
    texts = ["".join(ZH), "\n".join(EN + ZH[:1]), "\n".join(EN), "\n".join(EN[:1] + ZH)]
    _, sizes = item_lists(pa.array(texts), Shingling(ngram=3, cjk_ngram=7))
    assert sizes == [7, 3, 3, 7]
    _, sizes = item_lists(pa.array(texts), Shingling(ngram=4, cjk_ngram=4))
    assert sizes == [4, 4, 4, 4]
    # cjk_shingles=words: the segmenter's words everywhere, one size
    items, sizes = item_lists(pa.array(texts[:1]), Shingling(cjk_shingles="words", ngram=3, cjk_ngram=7))
    assert sizes == [3] and max(len(w) for w in items[0]) > 1


@pytest.fixture(scope="module")
def ray_started():
    start_ray(num_cpus=2)


def test_minhash_dedup_removes_bilingual_near_duplicates(tmp_path, ray_started):
    """(3) The stage, with the labels lid.176 gave the probe's documents (a page en, its copy zh)
    and without any: of every page and its copy, one is removed as the other's near-duplicate."""
    pairs = probe_pairs()
    rows = [{"id": f"p{i}-{k}", "source": "s", "text": t}
            for i, pair in enumerate(pairs) for k, t in enumerate(pair)]
    table = documents_table(rows)
    labelled = table.append_column("language", pa.array(["en", "zh"] * len(pairs))).append_column(
        "script", pa.array(["Latn", "Hans"] * len(pairs)))
    for name, t in (("plain", table), ("labelled", labelled)):
        run = run_global(MinHashDedup(), write_input([t], tmp_path / f"in-{name}"), tmp_path / name)
        kept = set(run.kept.column("id").to_pylist())
        for i in range(len(pairs)):
            assert not {f"p{i}-0", f"p{i}-1"} <= kept, (name, pairs[i][1][-60:])
        assert run.counters["near_duplicates"] >= len(pairs)


def test_a_thai_page_with_a_han_brand_name_keeps_thai_segmentation():
    """Found in review: one Han or kana character moved a Thai page onto the mixed split, which cuts
    at spaces, and it shared no shingle with its copy without that character (Jaccard 0.0; 0.97
    before the mixed scheme). Thai stays with its dictionary segmenter."""
    thai = ("กรุงเทพมหานครเป็นเมืองหลวงและนครที่มีประชากรมากที่สุดของประเทศไทย "
            "เป็นศูนย์กลางการปกครองการศึกษาการคมนาคมขนส่งการเงินการธนาคารการพาณิชย์การสื่อสาร "
            "และความเจริญของประเทศ ตั้งอยู่บนสามเหลี่ยมปากแม่น้ำเจ้าพระยา")
    for extra in (" ร้าน中", " ร้านカ"):
        for langs in (None, ["th", "th"]):
            a, b = hash_sets([thai, thai + extra], languages=langs)
            assert jaccard(a, b) > 0.9, (extra, langs)
