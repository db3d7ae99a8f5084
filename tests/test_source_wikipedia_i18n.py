"""The MediaWiki reader on other languages' wikis: snippets of real jawiki, ukwiki, viwiki, elwiki
and zhwiki wikitext (excerpts of the dumps in ssvb/xztextfilter's testfiles; Wikipedia text, CC
BY-SA, each from the article named in its comment), where templates took words out of sentences,
a stray '' let an infobox's markup out as text, and dab pages and link sections were only
recognised by their English and Chinese names."""
import re

import pytest

from pipeline.readers import Doc, ReadState
from pipeline.readers.mediawiki import DROP_SECTIONS
from pipeline.readers.wikitext import WikitextOptions, wikitext_to_text
from pipeline.readers.zh_variants import finish, resolve
from pipeline.recipe import SourceConfig

DROP = frozenset(s.lower() for s in DROP_SECTIONS)
# what an infobox or a template leaks when its markup comes out as text; tidy() deletes "{{" and
# "}}", so the leak shows as its "| key = value" lines
LEAKED_PARAM = re.compile(r"^\s*\|\s*[^|=\n]{1,40}=", re.M)


def text(wikitext, language=None):
    return wikitext_to_text(wikitext, WikitextOptions(language=language, drop_sections=DROP))


@pytest.mark.parametrize("language, wikitext, expected", [
    # jawiki 言語: a link to another language's article shows its Japanese name
    ("ja", "[[大脳]]の{{仮リンク|言語中枢|en|Language center}}に蓄えられた", "大脳の言語中枢に蓄えられた"),
    ("ja", "[[セネト]]や{{仮リンク|メーヘーン (ゲーム)|en|Mehen (game)|label=メーヘーン}}などの[[ボードゲーム]]",
     "セネトやメーヘーンなどのボードゲーム"),
    # jawiki 日本語: a language wrapper named by its code; a passage marked as needing a source
    ("ja", "日本語話者の英語初学者などは、「{{en|I am a president.}}」「{{en|I am happy.}}」と同じ調子で",
     "日本語話者の英語初学者などは、「I am a president.」「I am happy.」と同じ調子で"),
    ("ja", "以降になると、音便は口語では盛んに用いられるようになった。\n\n{{要出典範囲|中世には、「差して」を「差いて」"
           "などのように、今の共通語にはない音便形も見られた。|date=2021年10月}}",
     "以降になると、音便は口語では盛んに用いられるようになった。\n\n中世には、「差して」を「差いて」など"
     "のように、今の共通語にはない音便形も見られた。"),
    # jawiki イエスタデイ, アンパサンド: an inline quotation, a phonetic symbol
    ("ja", "[[ジョン・レノン]]は{{ilq|そうね。『イエスタデイ』のことは誰でも知ってるんじゃない。}}",
     "ジョン・レノンはそうね。『イエスタデイ』のことは誰でも知ってるんじゃない。"),
    ("ja", "[[無声歯茎側面摩擦音]]を示す[[発音記号]]「{{IPA|ɬ}}」のようなもの", "無声歯茎側面摩擦音を示す発音記号「ɬ」のようなもの"),
    # jawiki 地理学: the lead's word and its reading
    ("ja", "{{読み仮名_ruby不使用|'''地理学'''|ちりがく|{{Lang-en-short|geography}}、{{lang|de|Erdkunde}}}}は、",
     "地理学（ちりがく、geography、Erdkunde）は、"),
    # jawiki パリ: a list laid out in columns keeps its items
    ("ja", ";劇場・劇団・コンサートホール・楽団\n{{Columns-list|2|\n* [[オデオン座]]\n* [[オペラ＝コミック座]]\n}}\n次。",
     "劇場・劇団・コンサートホール・楽団\n\n- オデオン座\n- オペラ＝コミック座\n\n次。"),
    # ukwiki Атом, Політика: an exponent; a link to Wiktionary shows its label
    ("uk", "число атомів (приблизно 6,022{{e|23}}).", "число атомів (приблизно 6,022×10^23)."),
    ("uk", "є лише власним (суб'єктивним) [[wikt:аксіологічний|аксіологічним]], утилітарним баченням.[[en:Politics]]",
     "є лише власним (суб'єктивним) аксіологічним, утилітарним баченням."),
    # zhwiki 微软POSIX子系统: tsl with no local title shows the foreign one; le's third argument is shown
    ("zh", "它被使用{{tsl|en|Interix}}子系统的“{{tsl|en|Windows Services for UNIX}}”取代。",
     "它被使用Interix子系统的“Windows Services for UNIX”取代。"),
    ("zh", "{{le|中文|English|显示}}和{{link-en|中國|China}}", "显示和中國"),
])
def test_inline_templates_of_other_wikis_keep_their_words(language, wikitext, expected):
    assert text(wikitext, language) == expected


def test_en_wrapper_is_only_text_where_the_wiki_makes_it_so():
    """{{en}} on elwiki and viwiki marks a link as English ("(in English)"), with no text; on
    enwiki {{tl|x}} is not Tagalog: bare language codes are wrappers on the wikis that say so."""
    assert text("[http://www.albania.al/ Τουριστική ιστοσελίδα] {{en}}", "el") == "Τουριστική ιστοσελίδα"
    assert text("Use {{tl|cite web}} here.", "en") == "Use here."


# viwiki Thụy Điển (reduced): a '' left open at the end of an infobox line made the parser pair it
# with the article's next '' and give up on the infobox, whose lines came out as text.
SWEDEN = """{{Infobox country
| conventional_long_name = Vương quốc Thụy Điển
| national_anthem                = ''{{lang|sv|[[Du gamla, Du fria]]}}''{{ref label|bbb|b}}<br />({{Lang-vi|"Đất nước cổ kính, đất nước tự do"}})
| royal_anthem                = {{lang|sv|[[Kungssången]]}}''<br />({{Lang-vi|"Hoàng gia ca"}})
| capital                = [[File:Stockholm vapen bra.svg|24px]] [[Stockholm]]
}}
'''Thụy Điển''' ({{lang-sv|Sverige}}) là một [[quốc gia]] ở [[Bắc Âu]]. Quyền lực lập pháp của đất nước thuộc về Quốc hội (''Riksdag'') đơn viện gồm 349 đại biểu."""


def test_stray_italic_in_an_infobox_does_not_let_its_markup_out():
    out = text(SWEDEN, "vi")
    assert not LEAKED_PARAM.search(out) and "Infobox" not in out and "anthem" not in out
    assert out == ("Thụy Điển (Sverige) là một quốc gia ở Bắc Âu. Quyền lực lập pháp của đất nước thuộc về "
                   "Quốc hội (Riksdag) đơn viện gồm 349 đại biểu.")
    # viwiki Trần Hưng Đạo: an italic opened in a quotation and never closed
    quote = "Ông nói:\n{{cquote|''Vua tôi đồng tâm, anh em hòa mục.|||Trần Quốc Tuấn}}\nNăm ''1288'' quân Nguyên rút lui."
    assert text(quote, "vi") == "Ông nói:\n\nVua tôi đồng tâm, anh em hòa mục.\n\nNăm 1288 quân Nguyên rút lui."


@pytest.mark.parametrize("wikitext, expected", [
    # MediaWiki's doQuotes: an odd number of italics and bolds on the line makes the bold an apostrophe
    ("The ''Iliad'''s account.", "The Iliad's account."),
    ("An '''unclosed bold\nnext ''line''.", "An unclosed bold\nnext line."),
    # <code> holds wikitext (italic x); <math> and <nowiki> do not (a prime, two apostrophes)
    ("<code>''x''</code> and <math>f''(x)</math> and <nowiki>''</nowiki> ''open", "x and f''(x) and '' open"),
])
def test_quote_runs_are_closed_at_the_end_of_their_line(wikitext, expected):
    assert text(wikitext) == expected


def test_parser_function_over_several_lines_is_a_template():
    """jawiki 鳥取県: {{formatnum:{{ #expr: … }}}} over several lines was not a template to the
    parser, and its "+" lines came out as text (the sum itself needs the wiki's data: dropped)."""
    wt = ("[[面積]]：{{formatnum:{{ #expr: {{自治体面積/鳥取県|鳥取市}}\n + {{自治体面積/鳥取県|岩美町}}\n"
          " + {{自治体面積/鳥取県|若桜町}}\n }}}}[[平方キロメートル|km<sup>2</sup>]]、")
    assert text(wt, "ja") == "面積：km2、"


@pytest.mark.parametrize("wikitext, expected", [
    # zhwiki: the ";" of &nbsp; is not a rule separator (MediaWiki splits only before "zh-xx:")
    ("温度为-{zh-hans:摄氏&nbsp;30度;zh-hant:攝氏&nbsp;30度}-。", "温度为摄氏&nbsp;30度。"),
    ("-{zh-hans:A;B;zh-hant:C;}-", "A;B"),
    # a template between hyphens is no conversion block: MediaWiki expands templates first
    ("京沪高铁（北京-{{le|上海|Shanghai}}-南京）", "京沪高铁（北京-{{le|上海|Shanghai}}-南京）"),
    # a formula is left alone
    ("公式<math>x^{-{1}}-y</math>成立。-{zh-hans:计算机;zh-hant:電腦}-", "公式<math>x^{-{1}}-y</math>成立。计算机"),
])
def test_language_converter_markup_as_mediawiki_splits_it(wikitext, expected):
    assert finish(resolve(wikitext, "zh-hans"), None) == expected


def test_zhwiki_variant_page_end_to_end():
    wt = resolve("京沪高铁（北京-{{le|上海|Shanghai}}-南京）。公式<math>x^{-{1}}-y</math>成立。\n\n== 相关条目 ==\n* [[系统芯片]]",
                 "zh")
    assert finish(text(wt, "zh"), None) == "京沪高铁（北京-上海-南京）。公式x^{-{1}}-y成立。"


def test_link_sections_of_other_languages_are_dropped():
    pages = {
        "ja": "本文。\n\n== 脚注 ==\n{{Reflist}}\n== 関連項目 ==\n* [[エジプト学]]\n== 外部リンク ==\n* {{Kotobank|エジプト史}}",
        "uk": "Текст.\n\n== Див. також ==\n* [[Політологія]]\n== Примітки ==\n{{reflist}}\n== Посилання ==\n* [http://x.ua x]",
        "vi": "Văn bản.\n\n== Xem thêm ==\n* [[Flower]]\n== Tham khảo ==\n{{tham khảo}}\n== Liên kết ngoài ==\n* [http://x y]",
        "el": "Κείμενο.\n\n== Δείτε επίσης ==\n* [[Α]]\n== Παραπομπές ==\n{{παραπομπές}}\n== Εξωτερικοί σύνδεσμοι ==\n* [http://x y]",
        "zh": "正文。\n\n== 相關條目 ==\n* [[系统芯片]]\n== 另见 ==\n* [[甲]]",
        "de": "Text.\n\n== Siehe auch ==\n* [[A]]\n== Einzelnachweise ==\n<references />\n== Weblinks ==\n* [http://x y]",
    }
    for language, wt in pages.items():
        assert "\n" not in text(wt, language), language


def _dump(dbname, pages):
    body = "".join(f"<page><title>{t}</title><ns>0</ns><id>{i + 1}</id><revision><id>{i + 10}</id>"
                   f'<text xml:space="preserve">{w}</text></revision></page>\n' for i, (t, w) in enumerate(pages))
    return (f'<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/"><siteinfo><dbname>{dbname}</dbname>'
            f"<base>https://x.wikipedia.org/wiki/Main</base></siteinfo>\n{body}</mediawiki>\n")


@pytest.mark.parametrize("dbname, pages", [
    # jawiki 地理 (a dab page by its template) and a page titled as one
    ("jawiki", [("地理", "'''地理'''\n* [[地理学]]\n\n{{Geo-term-stub}}\n{{Aimai}}"),
                ("サンバ (曖昧さ回避)", "'''サンバ'''\n* [[サンバ]] - ブラジルの音楽")]),
    # elwiki, viwiki Hoa (định hướng), ukwiki, dewiki
    ("elwiki", [("Σημαίες", "* [http://www.flags.net flags.net]\n\n{{αποσαφήνιση}}\n\n[[zh:國旗列表]]")]),
    ("viwiki", [("VN", "* [[Vanilla Ninja]], một nhóm nhạc nữ của Estonia\n\n{{Trang_định_hướng}}"),
                ("Hoa (định hướng)", "* [[Flower]]")]),
    ("ukwiki", [("Ядро", "'''Ядро''' може означати:\n* [[Атомне ядро]]\n{{Неоднозначність}}")]),
    ("dewiki", [("Bank (Begriffsklärung)", "'''Bank''' steht für:\n* [[Bank]], ein Kreditinstitut")]),
])
def test_disambiguation_pages_of_other_wikis_are_skipped(tmp_path, dbname, pages):
    path = tmp_path / f"{dbname}.xml"
    path.write_text(_dump(dbname, pages + [("Article", "A real article with a sentence of text.")]), encoding="utf-8")
    src = SourceConfig(name="wiki", format="mediawiki", paths=[str(path)])
    state = ReadState()
    docs = [d for d in src.reader.read(str(path), src, state) if isinstance(d, Doc)]
    assert [d.metadata["title"] for d in docs] == ["Article"]
    assert state.counters == {"skipped_disambiguation": len(pages)}
