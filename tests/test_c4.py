"""C4 line filtering and document rules, in English and Chinese."""
import json

import pyarrow as pa
import pytest

from stages.c4 import C4Quality

EN_SENTENCES = ("The committee met on Tuesday to discuss the budget. Members raised several concerns "
                "about spending. The chair promised a detailed answer next week. A vote is planned "
                "for the spring. Local residents were invited to comment.")
ZH_SENTENCES = ("委员会周二开会讨论预算问题。委员们对支出提出了若干担忧。主席承诺下周给出详细答复。"
                "预计将在春季进行表决。当地居民受邀发表意见。")


def run(stage, texts, languages):
    return stage(pa.table({"text": texts, "language": languages}))


@pytest.mark.parametrize("good", [EN_SENTENCES, ZH_SENTENCES])
def test_good_document_passes_and_noise_lines_are_removed(good):
    noisy = "\n".join(["Home | News | Sports", good, "Please enable JavaScript to view the comments.",
                       "This site uses cookies. Read our privacy policy.", "Share"])
    out = run(C4Quality(), [noisy], ["en"])
    assert out.removed is None
    assert out.kept.column("text").to_pylist() == [good]
    assert out.kept.column("c4_lines_removed").to_pylist() == [4]
    assert out.counters["lines_removed_javascript"] == 1 and out.counters["lines_removed_policy"] == 1
    assert out.counters["lines_removed_no_terminal_punct"] == 2


def test_chinese_lines_judged_by_cjk_punctuation_and_jieba_words():
    text = "新闻首页\n" + ZH_SENTENCES + "\n他说：“好。”\n是。"
    out = run(C4Quality(), [text], ["zh"])
    kept = out.kept.column("text")[0].as_py().split("\n")
    assert kept == [ZH_SENTENCES, "他说：“好。”"]     # “是。” has fewer than 3 words
    assert out.kept.column("c4_sentences").to_pylist() == [6]


def test_chinese_news_line_ending_in_its_source_credit_is_a_sentence():
    # THUCNews articles end "。(毛毛)": C4 dropped such one-line articles whole (172 of 300).
    credit = ZH_SENTENCES + "（记者 张三）"
    plain = "新闻首页（首页）"
    out = run(C4Quality(), ["\n".join([ZH_SENTENCES + "(毛毛)", credit, plain])], ["zh"])
    assert out.kept.column("text")[0].as_py().split("\n") == [ZH_SENTENCES + "(毛毛)", credit]


@pytest.mark.parametrize("text, reason", [
    (EN_SENTENCES + "\nLorem ipsum dolor sit amet, consectetur adipiscing elit.", "lorem_ipsum"),
    (EN_SENTENCES + "\nUse the {name} placeholder in the template to insert it.", "curly_bracket"),
    ("The committee met on Tuesday. Members raised concerns.", "too_few_sentences"),
    ("委员会周二开会讨论预算问题。委员们对支出提出了若干担忧。", "too_few_sentences"),
])
def test_each_document_rule_fires(text, reason):
    out = run(C4Quality(), [text], ["en"])
    assert out.removed.column("reason").to_pylist() == [reason]
    assert out.removed.column("text").to_pylist() == [text]   # removed documents keep their text


def test_line_removal_can_be_turned_off():
    text = "Menu\n" + EN_SENTENCES
    out = run(C4Quality(remove_lines=False), [text], ["en"])
    assert out.kept.column("text").to_pylist() == [text]
    assert out.kept.column("c4_lines_removed").to_pylist() == [1]


def test_real_articles_mostly_pass(shared_data):
    gt = json.loads((shared_data / "html/scrapinghub/ground-truth.json").read_text())
    en = [v["articleBody"] for v in gt.values()]
    reasons = C4Quality().judge_texts(en)
    keep = sum(r is None for r in reasons) / len(reasons)
    print(f"c4_quality keeps {keep:.2f} of English articles")
    assert keep >= 0.85


# A dialogue as Chinese fiction writes it, and the same in English, line for line. C4 keeps a line
# that ends in an ellipsis inside closing quotes (`"I don't know..."` ends in `"`) and drops one that
# trails off in "..." or ends in a colon; the Chinese lines must get the same verdicts.
DIALOGUE = [  # (Chinese, English, kept)
    ("他看着窗外，沉默了很久……", "He looked out of the window and was silent for a long time...", False),
    ("“你真的要走吗？”她问道。", "\"Are you really leaving?\" she asked.", True),
    ("他点了点头，低声说：", "He nodded and said quietly:", False),
    ("“我也不知道会怎么样……”", "\"I don't know what will happen...\"", True),
    ("她轻声说：「那就再等等吧……」", "She said softly, \"Then let's wait a little longer...\"", True),
    ("雨一直下个不停⋯⋯", "The rain kept falling and falling...", False),
    ("他叹了口气：好吧，就这样吧。。。", "He sighed: fine, let it be....", False),
    ("“明天一早我就走。”", "\"I will leave first thing tomorrow.\"", True),
]


@pytest.mark.parametrize("column, language", [(0, "zh"), (1, "en")])
def test_dialogue_lines_ending_in_an_ellipsis_judged_as_c4_judges_english(column, language):
    lines = [row[column] for row in DIALOGUE]
    out = run(C4Quality(min_sentences=None), ["\n".join(lines)], [language])
    assert out.kept.column("text")[0].as_py().split("\n") == [row[column] for row in DIALOGUE if row[2]]


# Japanese dialogue closes a sentence with 」 alone (no 。 before it); English puts the full stop
# inside the quotes, and C4 keeps a line ending in a quote mark either way (its `"`).
JA_DIALOGUE = [
    ("「おはよう」", "\"Morning\"", True),
    ("「おはようございます、先生」", "\"Good morning, sir\"", True),
    ("少女は小さく頭を下げた。", "The girl bowed her head slightly.", True),
    ("『吾輩は猫である』を読んだ", "I read the novel I Am a Cat", False),   # no full stop after all
    ("「はい、宿題を忘れてしまって……」", "\"Yes, I forgot my homework...\"", True),
    ("先生は笑いながら言った：", "The teacher said, laughing:", False),
]


@pytest.mark.parametrize("column, language", [(0, "ja"), (1, "en")])
def test_japanese_dialogue_ending_in_a_closing_quote_is_a_sentence(column, language):
    """`「おはよう」` ends a line as `"Morning"` does: kept (fineweb.py's line ends count 」 』 too);
    a line ending mid-sentence, in a colon, is dropped in both."""
    lines = [row[column] for row in JA_DIALOGUE]
    out = run(C4Quality(min_sentences=None, min_words_per_line=None), ["\n".join(lines)], [language])
    assert out.kept.column("text")[0].as_py().split("\n") == [row[column] for row in JA_DIALOGUE if row[2]]


def test_a_japanese_dialogue_scene_loses_no_line_to_terminal_punctuation():
    """The probe's novel scene: every line ends in 」 or 。 (the short replies still go by C4's
    three-word rule, as "Morning" would)."""
    scene = ("「おはよう」\n「今日は早いね」\n少女は小さく頭を下げた。\n「はい、宿題を忘れてしまって」\n"
             "先生は笑いながら窓を開けた。\n「じゃあ、一緒にやろうか」\n二人は並んで机に向かった。")
    out = run(C4Quality(min_sentences=None), [scene], ["ja"])
    assert out.counters["lines_removed_no_terminal_punct"] == 0
    assert "「はい、宿題を忘れてしまって」" in out.kept.column("text")[0].as_py()


def test_half_width_marks_between_chinese_sentences_end_sentences():
    # Chinese typed with half-width . ? ! (forums; chinese_clean's `punctuation: halfwidth`) puts no
    # space after them: five sentences, not one. English without the space stays one sentence.
    half = "今天天气很好.我们一起去公园散步.公园里的人很多?孩子们在草地上放风筝!我们玩得很开心."
    glued = "The weather was fine today.We went for a walk.The park was crowded.Kids flew kites.It was fun."
    out = C4Quality()(pa.table({"text": [half, glued], "language": ["zh", "en"]}))
    assert out.kept.column("c4_sentences").to_pylist() == [5]
    assert out.removed.column("reason").to_pylist() == ["too_few_sentences"]
    assert out.removed.column("c4_sentences").to_pylist() == [1]


def test_table_row_cells_are_judged_by_their_text_not_their_pipes():
    # trafilatura writes a forum thread's posts as table cells: `| 帖子内容。 |` ends a sentence.
    posts = ["建议对这件武器进行改版，现在的攻击范围太小了。普通攻击应该增加。",
             "顶你，它真的是太弱了，攻击低，弹药太少。",
             "能自动恢复就可以重新站起来了，强烈复议！",
             "同意楼上的看法，希望官方能听到大家的声音。"]
    rows = "\n".join(f"| {p} |" for p in posts) + "\n| 查看: 3481 | 回复: 3 |"
    out = C4Quality()(pa.table({"text": [rows, "\n".join(posts)], "language": ["zh", "zh"]}))
    assert out.removed is None
    assert out.kept.column("text")[0].as_py().split("\n") == [f"| {p} |" for p in posts]
    assert out.kept.column("c4_sentences").to_pylist() == [5, 5]


def test_a_numbered_item_before_chinese_is_no_sentence():
    text = "1.浏览器\n2.服务器\n3.数据库\n4.操作系统\n5.编译器"
    out = C4Quality(remove_lines=False, filter_no_terminal_punct=False, min_words_per_line=0)(
        pa.table({"text": [text], "language": ["zh"]}))
    assert out.kept.column("c4_sentences").to_pylist() == [5]     # one a line, none from the numbers


@pytest.mark.parametrize("language, lines", [
    ("de", ["„Kommst du morgen mit?“, fragte sie leise.", "Er antwortete ihr: „Ich weiß es noch nicht.“",
            "»Dann rufe ich dich heute Abend an.«", "„Gut, bis später dann.“", "„Und vergiss das Buch nicht.“"]),
    ("fr", ["« Tu viens demain avec nous ? » demanda-t-elle.", "Il répondit\u00a0: « Je ne sais pas encore. »",
            "« Alors je t'appelle ce soir. »", "« Bien, à plus tard alors. »", "« Et n'oublie pas le livre. »"]),
])
def test_german_and_french_dialogue_keeps_its_lines_and_sentences(language, lines):
    """Lines ending in .“ or . » were no sentence ends: C4 cut 8 of 12 lines of a German dialogue and
    removed the rest as too_few_sentences, where the same text with ASCII quotes kept every line."""
    out = C4Quality()(pa.table({"text": ["\n".join(lines)], "language": [language]}))
    assert out.removed is None or out.removed.num_rows == 0
    assert out.kept.column("text").to_pylist() == ["\n".join(lines)]
