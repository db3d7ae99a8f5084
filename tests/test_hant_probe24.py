"""Traditional Chinese, Cantonese and social-media text through the default chain's stages: language ID
of a Chinese page with a Japanese banner line, Gopher's mean word length with Latin variables and
Zhuyin, FineWeb's line punctuation with emoji, chinese_clean's conversion of Cantonese and its
`script` column, and the Taiwanese / Hong Kong identity numbers and messenger labels of `pii`."""
from __future__ import annotations

import csv
import glob
import json
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.documents import documents_table
from stages.chinese import ChineseClean
from stages.fineweb import FineWebQuality
from stages.gopher import GopherQuality
from stages.language import LanguageFilter
from stages.pii import PIIRedactor

# A real CNA page (2016) as extracted, with the language-switch banner CNA puts on every page: one
# English, one Japanese and one Spanish line.
CNA_BANNER = (
    "Your browser does not appear to support Traditional Chinese. Would you like to go to CNA’s English "
    "website,  “Focus Taiwan\" ?\n"
    "こちらのページは繁体字版です。日本語版「フォーカス台湾」に移動しますか。\n"
    "Se detecta que el idioma que usted usa no es el carácter chino tradicional.Por favor, intente entrar "
    "en la Página web de“Español”")
CNA_PAGE = (
    "平鎮輪胎行惡火 疏散7人1女命喪\n最新更新：2016/03/19 10:48\n"
    "桃園市平鎮區一家輪胎行19日清晨發生大火，7人從火\n場中疏散，一名62歲女子逃生不及，命喪火窟。\n"
    "（消防局提供）\n中央社記者邱俊欽桃園傳真 105年3月19日\n"
    "（中央社記者邱俊欽桃園19日電）桃園市平鎮區一家輪胎行今天清晨發生大火，7人從火場中疏散；由於火勢延燒猛烈，"
    "一名62歲女子逃生不及，命喪火窟。\n"
    "您所瀏覽的新聞已過查詢時效。建議您加入中央社付費會員找尋您要的新聞。\n"
    "本網站使用相關技術提供更好的閱讀體驗，同時尊重使用者隱私，點這裡瞭解中央社隱私聲明。當您關閉此視窗，"
    "代表您同意上述規範。\n" + CNA_BANNER)
# A short Chinese post with the banner: its 20 kana are 12 % of its Han and kana ("Jpan" by script)
SHORT_POST = ("昨天去看了那部電影，劇情真的很感人，最後十分鐘全場都在哭。演員的表現也很到位，特別是飾演父親的那位，"
              "眼神戲非常厲害。推薦大家去電影院看，音效和畫面都值得。\n" + CNA_BANNER)


def _docs(texts, language=None, script=None) -> pa.Table:
    t = documents_table([{"id": str(i), "source": "t", "text": x} for i, x in enumerate(texts)])
    for name, values in (("language", language), ("script", script)):
        if values is not None:
            t = t.append_column(name, pa.array(values, pa.string()))
    return t


def _language(texts: list[str]) -> list[str]:
    return LanguageFilter().ensure_setup()(_docs(texts)).kept.column("language").to_pylist()


def test_a_japanese_banner_line_does_not_make_a_chinese_page_japanese(shared_data: Path):
    """lid.176 read the CNA page ja 0.78 (zh 0.96 without the banner) though its kana are 7 % of its
    CJK characters; a short post with the banner came out ja too. Japanese, kana-rich or a kanji-only
    title, stays ja."""
    assert _language([CNA_PAGE, SHORT_POST]) == ["zh", "zh"]
    base = shared_data / "zh" / "html"
    gold = json.loads((base / "magic_html" / "ground-truth.json").read_text(encoding="utf-8"))
    with open(base / "magic_html" / "pages.tsv", encoding="utf-8") as f:
        japanese = [gold[r["id"]]["content"] for r in csv.DictReader(f, delimiter="\t") if r["script"] == "ja"]
    japanese += [Path(p).read_text(encoding="utf-8") for p in sorted(glob.glob(str(base / "newspaper4k/txt/japanese*")))]
    assert len(japanese) == 4
    assert _language(japanese) == ["ja"] * 4


MATH = ("設 x 與 y 為實數，若 x + y = 5 且 x - y = 1，則 x = 3、y = 2。接著我們考慮函數 f(x) = a x + b，其中 a、b 為常數，"
        "當 x = 0 時 f 的值為 b，當 x = 1 時 f 的值為 a + b。若已知 f(2) = 7 且 f(3) = 10，求 a 與 b 的值。由兩式相減可以"
        "得到 a = 3，再代回原式得到 b = 1，所以 f(x) = 3x + 1。")
ZHUYIN = ("小ㄒㄧㄠˇ白ㄅㄞˊ兔ㄊㄨˋ住ㄓㄨˋ在ㄗㄞˋ森ㄙㄣ林ㄌㄧㄣˊ裡ㄌㄧˇ，每ㄇㄟˇ天ㄊㄧㄢ早ㄗㄠˇ上ㄕㄤˋ都ㄉㄡ會ㄏㄨㄟˋ去ㄑㄩˋ"
          "河ㄏㄜˊ邊ㄅㄧㄢ喝ㄏㄜ水ㄕㄨㄟˇ。\n有ㄧㄡˇ一ㄧˊ天ㄊㄧㄢ，小ㄒㄧㄠˇ白ㄅㄞˊ兔ㄊㄨˋ在ㄗㄞˋ路ㄌㄨˋ上ㄕㄤˋ遇ㄩˋ到ㄉㄠˋ"
          "了˙ㄌㄜ一ㄧˋ隻ㄓ受ㄕㄡˋ傷ㄕㄤ的˙ㄉㄜ小ㄒㄧㄠˇ鳥ㄋㄧㄠˇ。")


def _mean_word_length(text: str) -> float:
    out = GopherQuality()(_docs([text], ["zh"], ["Hant"]))
    table = out.kept if out.kept.num_rows else out.removed
    return table.column("gopher_mean_word_length")[0].as_py()


def test_one_letter_variables_in_chinese_math_are_not_shorter_than_a_character():
    """Mapped from the English [3, 10] onto the CJK [1, 5], `x` was -0.14 characters: the mean fell to
    0.89 (plain mean 1.27) and the text was removed as short_mean_word_length."""
    assert _mean_word_length(MATH) >= 1.0
    assert GopherQuality().judge_texts([MATH], ["zh"]) == [None]


def test_zhuyin_annotation_counts_as_chinese_characters():
    """Each Zhuyin symbol was a one-letter foreign word (mean 0.15; removed)."""
    assert _mean_word_length(ZHUYIN) == 1.0
    assert GopherQuality().judge_texts([ZHUYIN], ["zh"]) == [None]


def test_emoji_and_a_wave_dash_after_a_full_stop_keep_a_line_punctuated():
    post = ("最近入手了一支新的唇膏💄 顏色是很溫柔的奶茶色，平常上班擦剛剛好！😊\n"
            "質地是霧面的，但是不會很乾，擦了一整天嘴唇也沒有脫皮～👍\n"
            "持久度也不錯，喝水吃飯之後還會留下淡淡的顏色。🥰\n"
            "唯一的缺點是包裝有點容易刮花，放在包包裡要小心。😅\n"
            "有沒有人也用過這個牌子的其他顏色？可以推薦給我嗎？🙏🙏\n"
            "今天心情很好！～\n"
            "家人合照。👨‍👩‍👧‍👦 👍🏽 🇹🇼\n")
    out = FineWebQuality()(_docs([post], ["zh"], ["Hant"])).kept
    # all but the line ending 脫皮～👍 (no stop before the wave dash) end a sentence
    assert out.column("fineweb_line_punct_ratio")[0].as_py() == pytest.approx(6 / 7)
    emoji_lines = "\n".join(["今天吃了拉麵😋", "好好吃🍜🍜", "下次再來👍"] * 2)
    assert FineWebQuality().judge_texts([emoji_lines], ["zh"]) == ["line_punct_ratio"]


def test_t2s_converts_cantonese_as_it_converts_mandarin():
    """The default `languages` were zh and ja: Cantonese labelled yue stayed Traditional while the same
    text labelled zh came out Simplified."""
    text = "而家啲細路成日玩手機，放學返到屋企就唔肯做功課，做家長嘅真係好頭痕。"
    out = ChineseClean(convert="t2s").ensure_setup()(_docs([text, text], ["yue", "zh"])).kept
    simplified = "而家啲细路成日玩手机，放学返到屋企就唔肯做功课，做家长嘅真系好头痕。"
    assert out.column("text").to_pylist() == [simplified, simplified]


def test_converted_text_gets_its_new_script():
    texts = ["這是一個繁體中文的句子，說明台灣的天氣。", "東京駅の近くで新しい電池の紹介がありました。"]
    out = ChineseClean(convert="t2s").ensure_setup()(_docs(texts, ["zh", "ja"], ["Hant", "Jpan"])).kept
    assert out.column("script").to_pylist() == ["Hans", "Jpan"]
    back = ChineseClean(convert="s2t").ensure_setup()(_docs(["这是一个简体中文的句子，说明天气。"], ["zh"], ["Hans"]))
    assert back.kept.column("script").to_pylist() == ["Hant"]


def _redact(texts: list[str]) -> list[str]:
    return PIIRedactor().ensure_setup()(_docs(texts)).kept.column("text").to_pylist()


def test_taiwanese_and_hong_kong_identity_numbers_with_their_check_digits():
    assert _redact(["身分證字號：A123456789", "香港身份證號碼 A123456(3)，另一張 AB987654（3）"]) == [
        "身分證字號：<ID_NUMBER>", "香港身份證號碼 <ID_NUMBER>，另一張 <ID_NUMBER>"]
    # a wrong check digit, a lower-case letter, an unbracketed HKID, a longer code: not identity numbers
    kept = ["身分證字號：A123456788", "編號 a123456789", "A1234563", "XA123456789", "香港身份證 A123456(4)"]
    assert _redact(kept) == kept
    # an order or waybill code that happens to have the shape and the check digit
    assert _redact(["訂單號：A123456789", "https://shop.example.com/item/A123456789"]) == \
        ["訂單號：A123456789", "https://shop.example.com/item/A123456789"]


def test_a_messenger_app_is_a_phone_label():
    assert _redact(["有意請WhatsApp我：6123 4567", "Telegram: 9123 4567", "Signal：5123 4567"]) == [
        "有意請WhatsApp我：<PHONE>", "Telegram: <PHONE>", "Signal：<PHONE>"]
    assert _redact(["signal strength 5123 4567"]) == ["signal strength 5123 4567"]


def test_an_unlabelled_row_in_a_chinese_script_is_converted_too():
    """The selection's rule (labelled a Chinese language, or unlabelled in a Chinese script) held
    for the width rules but not for t2s: a Hant row with a null language was left Traditional."""
    out = ChineseClean(convert="t2s").ensure_setup()(_docs(["這個問題很簡單，請參考說明。"], [None], ["Hant"]))
    assert out.kept.column("text").to_pylist() == ["这个问题很简单，请参考说明。"]
