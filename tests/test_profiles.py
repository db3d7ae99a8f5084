"""Which profile a document gets when its language has none of its own: Latin script keeps the
default profile (the papers' English values), other scripts get FineWeb-2's all-language values."""
from __future__ import annotations

import pyarrow as pa
import pytest

from stages.fineweb import FineWebQuality
from stages.gopher import GopherQuality
from stages.profiles import PROFILE_NAMES, load_profile, profile_name

# A Korean blog post and how-to, and their English versions (written for the probe of this fix;
# same content and layout in each language).
BLOG_KO = """지난 주말에 드디어 호수에 다녀왔습니다.
날씨도 완벽했고 물도 정말 맑았어요.
작은 보트를 빌려서 오후 내내 물 위에서 시간을 보냈습니다.
딸이 난생처음으로 물고기를 잡았어요!
저녁에는 호숫가의 작은 식당에서 저녁을 먹었습니다.
생선구이가 정말 맛있었어요.
가을에 꼭 다시 가고 싶습니다.
아직 안 가 보셨다면 정말 추천합니다."""
HOWTO_KO = """간단한 된장국 만드는 법
재료:
- 물 600ml
- 다시다 1큰술
- 된장 3큰술
- 두부 150g, 깍둑썰기
- 대파 1대, 송송 썰기
만드는 법:
1. 물을 끓이고 다시다를 넣는다.
2. 두부를 넣고 2분간 끓인다.
3. 불을 끄고 된장을 풀어 준다.
4. 대파를 올리고 바로 낸다.
된장을 넣은 뒤에는 끓이지 않아야 풍미가 살아 있다."""
BLOG_EN = """Last weekend we finally went to the lake.
The weather was perfect and the water was clear.
We rented a small boat and spent the whole afternoon on the water.
My daughter caught her first fish!
In the evening we had dinner at a little restaurant by the shore.
The grilled fish was amazing.
I would definitely like to go back in autumn.
If you have never been there, I really recommend it."""
LIST_EN = "\n".join(["Our menu:", "Tea.", "Coffee.", "Juice.", "Water.", "Cake.", "Toast.", "Soup.",
                     "All our drinks are made fresh every morning by our own staff in the kitchen."])


def test_a_language_without_a_profile_gets_one_by_its_script():
    assert profile_name("ko", "Hang") == "non-latin" and profile_name("th", "Thai") == "non-latin"
    assert profile_name(None, "Hang") == "non-latin" and profile_name("uk", "Cyrl") == "non-latin"
    assert profile_name("hi", "Deva") == "non-latin"
    # languages with their own profile, CJK, and Latin script or no script: as before
    assert profile_name("ru", "Cyrl") == "ru" and profile_name("ko", "Hans") == "zh-Hans"
    assert profile_name(None, "Latn") == "default" and profile_name("sw", "Latn") == "default"
    assert profile_name(None, "Zyyy") == "default" and profile_name(None, None) == "default"
    assert "non-latin" in PROFILE_NAMES
    values = load_profile("non-latin")
    assert values["short_line_thr"] is None and values["char_dup_ratio"] == 0.1   # FineWeb-2
    default = load_profile("default")
    assert {k: v for k, v in values.items() if k in default} == default


def test_korean_posts_are_not_judged_by_the_english_short_line_rule():
    """30 characters of Hangul hold what ~70 Latin letters do: FineWeb's short-line rule removed a
    Korean blog post (88 % short lines) and a how-to (100 %) whose English versions (13 %) stay."""
    table = pa.table({"text": [BLOG_KO, HOWTO_KO, BLOG_EN], "language": ["ko", "ko", "en"],
                      "language_score": [0.99, 0.99, 0.99]})
    res = FineWebQuality()(table)
    assert res.removed is None
    assert res.kept.column("quality_profile").to_pylist() == ["non-latin", "non-latin", "en"]
    # the same documents without a language label: judged by their script
    assert FineWebQuality().judge_texts([BLOG_KO, HOWTO_KO]) == [None, None]
    # a recipe's `profiles:` override reaches the new profile, and only it
    strict = FineWebQuality(profiles={"non-latin": {"short_line_thr": 0.67}})
    assert strict.judge_texts([BLOG_KO, HOWTO_KO, BLOG_EN], ["ko", "ko", "en"]) == [
        "short_line_ratio", "short_line_ratio", None]


def test_unlabelled_latin_text_keeps_the_english_values():
    """A recipe without a language stage: English text gets the default profile, whose short-line
    rule and char_dup_ratio are FineWeb's English ones, as before."""
    res = FineWebQuality()(pa.table({"text": [LIST_EN, BLOG_EN]}))
    assert res.removed.column("reason").to_pylist() == ["short_line_ratio"]
    assert res.kept.column("quality_profile").to_pylist() == ["default"]
    assert FineWebQuality().resolved("default")["short_line_thr"] == 0.67
    assert FineWebQuality().resolved("default")["char_dup_ratio"] == 0.01


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_every_profile_loads_in_every_profiled_stage(name):
    assert GopherQuality().resolved(name)["min_words"] == 50   # no profile sets its own word minimum
