"""Japanese list pages (station lists, rosters, 一覧 articles) have few kana but stay Japanese."""
from __future__ import annotations

import csv
import glob
import json
from pathlib import Path

import numpy as np
import pytest
import regex

from pipeline.documents import documents_table
from stages.language import LanguageFilter, _chinese_only_characters, _japanese_only_characters

# Pages as jawiki writes them: a heading, kanji names between " - ", 、 or newlines, one sentence. Their
# kana are 7-13 % of their Han and kana; lid.176 reads them ja 0.9998-1.0 and zh 0.00001-0.05.
STATION_LIST = ("東海道本線の駅一覧\n東京駅 - 有楽町駅 - 新橋駅 - 浜松町駅 - 田町駅 - 品川駅 - 川崎駅 - 横浜駅\n"
                "戸塚駅 - 大船駅 - 藤沢駅 - 辻堂駅 - 茅ケ崎駅 - 平塚駅 - 大磯駅 - 二宮駅 - 国府津駅 - 鴨宮駅 - 小田原駅\n"
                "本路線は東京駅を起点とし、神戸駅までを結ぶ幹線鉄道である。")
ROSTER = ("日本代表選手一覧\n監督 森保一\nGK 川島永嗣、権田修一、谷晃生\n"
          "DF 長友佑都、吉田麻也、酒井宏樹、谷口彰悟、板倉滉、冨安健洋、伊藤洋輝、山根視来\n"
          "MF 柴崎岳、遠藤航、伊東純也、南野拓実、守田英正、鎌田大地、相馬勇紀、三笘薫、田中碧、久保建英\n"
          "FW 浅野拓磨、前田大然、上田綺世\n本大会では1次リーグ首位通過を果たした。")


def _docs(texts: list[str]):
    return documents_table([{"id": str(i), "source": "t", "text": t} for i, t in enumerate(texts)])


@pytest.fixture(scope="module")
def japanese_text(shared_data: Path) -> str:
    """The shared data's real Japanese: the livedoor, Nikkei and AFPBB pages and lingua's sentences."""
    base = shared_data / "zh" / "html"
    gold = json.loads((base / "magic_html" / "ground-truth.json").read_text(encoding="utf-8"))
    with open(base / "magic_html" / "pages.tsv", encoding="utf-8") as f:
        pages = [gold[r["id"]]["content"] for r in csv.DictReader(f, delimiter="\t") if r["script"] == "ja"]
    pages += [Path(p).read_text(encoding="utf-8") for p in sorted(glob.glob(str(base / "newspaper4k/txt/japanese*")))]
    with open(shared_data / "langid" / "lingua_sentences_sample.tsv", encoding="utf-8") as f:
        pages += [r["text"] for r in csv.DictReader(f, delimiter="\t") if r["lang_iso639_1"] == "ja"]
    return "\n".join(pages)


def _lists(words: list[str], sentences: list[str], count: int) -> list[str]:
    """List pages built of real words: a heading, 12-40 entries between one separator, every other one
    closed by a sentence."""
    rng = np.random.default_rng(0)
    separators = ["・", "\n", "、", " - ", " "]
    out = []
    for i in range(count):
        entries = rng.choice(words, size=int(rng.integers(12, 41)), replace=False).tolist()
        page = rng.choice(words) + "一覧\n" + separators[i % len(separators)].join(entries)
        out.append(page + ("\n" + sentences[i % len(sentences)] if i % 2 else ""))
    return out


def test_japanese_list_pages_stay_japanese(japanese_text):
    """A ja label on 40+ Han and kana under 20 % kana took the Chinese reading whatever it scored: these
    pages came out zh (34 of these 42, at 0.00001-0.52) and were removed as low_language_score with zh and
    ja both kept."""
    words = sorted(set(regex.findall(r"\p{Han}{2,6}", japanese_text)))
    sentences = [s + "。" for s in japanese_text.replace("\n", "").split("。") if 15 <= len(s) <= 60
                 and regex.search(r"\p{Hiragana}", s)]
    assert len(words) >= 100 and len(sentences) >= 10
    texts = [STATION_LIST, ROSTER] + _lists(words, sentences, 40)
    out = LanguageFilter(languages=["zh", "ja"])(_docs(texts))
    assert out.removed is None
    assert out.kept.column("language").to_pylist() == ["ja"] * len(texts)
    assert min(out.kept.column("language_score").to_pylist()) >= LanguageFilter().min_score


def test_japanese_only_forms_are_those_chinese_writes_otherwise():
    """Derived with OpenCC: the shinjitai of station and roster pages; not the common characters OpenCC's
    jp2t maps to rare variants (研 郎 予), nor those both languages share (国 会), nor Chinese forms."""
    japanese = _japanese_only_characters()
    assert {"駅", "県", "沢", "広", "読", "鉄", "関", "経", "発"} <= japanese
    assert not {"研", "郎", "予", "概", "国", "会", "学", "時", "说", "說", "説", "们", "國"} & japanese
    assert not japanese & _chinese_only_characters()


def test_language_score_is_a_probability(shared_data: Path):
    """fastText's smoothing gave near-certain labels up to 1.00007 (22 of lingua's 750 sentences)."""
    with open(shared_data / "langid" / "lingua_sentences_sample.tsv", encoding="utf-8") as f:
        texts = [r["text"] for r in csv.DictReader(f, delimiter="\t")]
    scores = LanguageFilter()(_docs(texts)).kept.column("language_score").to_numpy()
    assert scores.max() == pytest.approx(1.0) and scores.max() <= 1.0


def test_a_chinese_post_repeating_a_japanese_station_name_is_not_japanese():
    """Japanese-only forms were counted by occurrence: a Traditional Chinese travel post naming 京都駅
    and 奈良駅 (駅 six times, 県 once, one ラーメン) against 關 從 發 鐵 came out ja 0.749 (a review
    of language 9). Distinct characters: 2 Japanese-only forms against 4 Chinese-only ones."""
    post = ("【關西自由行】京都駅→奈良駅一日遊\n早上從京都駅出發，搭近鐵到奈良駅，步行到奈良公園餵鹿。中午在駅前的ラーメン店吃午餐，"
            "下午去東大寺和春日大社。晚上回到大阪，在梅田駅附近逛街。奈良県的鹿真的很可愛，推薦大家一定要去！")
    out = LanguageFilter(annotate_only=True)(documents_table([{"id": "0", "source": "t", "text": post}]))
    assert out.kept.column("language").to_pylist() != ["ja"]
