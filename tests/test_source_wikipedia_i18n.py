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
     "地理学（ちりがく、英: geography、Erdkunde）は、"),      # jawiki's Lang-en-short shows 英:
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
    assert text(wt, "ja") == "面積：km²、"


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


# Repros of a probe of zhwiki and jawiki pages (the wikitext as those wikis write it).
@pytest.mark.parametrize("language, wikitext, expected", [
    # a title starting with two letters and a colon is no interlanguage link unless they are a wiki's code
    ("ja", "『[[Re:ゼロから始める異世界生活]]』は[[長月達平]]によるライトノベル。",
     "『Re:ゼロから始める異世界生活』は長月達平によるライトノベル。"),
    ("zh", "改编自《[[Re:從零開始的異世界生活]]》。", "改编自《Re:從零開始的異世界生活》。"),
    ("zh", "[[CSI: Miami|CSI迈阿密]]和[[TV: The Show]]", "CSI迈阿密和TV: The Show"),
    (None, "He starred in [[CSI: Miami]] and [[Go: The Game]].", "He starred in CSI: Miami and Go: The Game."),
    # interlanguage links still go, the Wikipedias whose codes are no two or three letters too
    ("zh", "北京。[[en:Beijing]][[ja:北京市]][[zh-yue:北京]][[zh-classical:北京]][[simple:Beijing]]"
           "[[be-tarask:Пекін]][[zh-min-nan:Pak-kiaⁿ]]", "北京。"),
])
def test_titles_with_a_colon_are_not_interlanguage_links(language, wikitext, expected):
    assert text(wikitext, language) == expected


@pytest.mark.parametrize("language, wikitext, expected", [
    # enwiki {{zh}} / {{lang-zh}}: the characters and pinyin, labelled as the page shows them
    ("en", "'''Beijing''' ({{zh|c=北京|p=Běijīng}}; {{IPA-cmn|pei˨˩ tɕiŋ˥|pron}}) is the capital.",
     "Beijing (Chinese: 北京; pinyin: Běijīng; [pei˨˩ tɕiŋ˥]) is the capital."),
    ("en", "'''Confucius''' ({{lang-zh|c=孔子|p=Kǒngzǐ}}; 551–479 BCE) was a philosopher.",
     "Confucius (Chinese: 孔子; pinyin: Kǒngzǐ; 551–479 BCE) was a philosopher."),
    ("en", "'''Lu Xun''' ({{lang-zh|t=魯迅|s=鲁迅}}) and {{zh|labels=no|c=學而時習之}}.",
     "Lu Xun (simplified Chinese: 鲁迅; traditional Chinese: 魯迅) and 學而時習之."),
    # jawiki: font templates show their character; dates in Japanese
    ("ja", "{{CP932フォント|髙}}島屋と{{JIS2004フォント|𠮷}}野家と{{補助漢字フォント|&#x5F45;}}", "髙島屋と𠮷野家と彅"),
    ("ja", "江戸時代、{{和暦|1603}}に幕府が置かれた。", "江戸時代、1603年に幕府が置かれた。"),
    ("ja", "'''山田太郎'''（やまだ たろう、{{生年月日と年齢|1950|1|2}} - ）は、日本の政治家。",
     "山田太郎（やまだ たろう、1950年1月2日 - ）は、日本の政治家。"),
    # zhwiki: lifespan, coloured text, a flag template by its country's name
    ("zh", "'''鲁迅'''（{{lang-en|Lu Xun}}，{{bd|1881年|9月25日|1936年|10月19日}}），原名周树人。",
     "鲁迅（英语：Lu Xun，1881年9月25日—1936年10月19日），原名周树人。"),   # as zhwiki shows {{lang-en}}
    ("zh", "这是{{color|red|红色文字}}。他出生于{{CHN}}，后移居{{USA}}。", "这是红色文字。他出生于中国，后移居美国。"),
    ("ja", "{{JPN}}と{{HKG}}の選手。", "日本と香港の選手。"),
    # a separator left before a closing bracket by a template that renders nothing
    ("zh", "'''重庆'''（Chongqing，{{Audio|Zh-chongqing.ogg|重庆}}）是直辖市。", "重庆（Chongqing）是直辖市。"),
    ("en", "Achilles (Ἀχιλλεύς, Akhilleus, {{IPAc-en|ə|ˈ|k|ɪ|l|iː|z}}) was a hero. Wink ;)",
     "Achilles (Ἀχιλλεύς, Akhilleus) was a hero. Wink ;)"),
])
def test_templates_carrying_sentence_text_on_zh_and_ja_pages(language, wikitext, expected):
    assert text(wikitext, language) == expected


@pytest.mark.parametrize("heading", [
    "参考", "參考", "来源", "資料來源", "资料来源", "参考资料与注释", "注释与参考资料", "參考文獻與註釋", "相关链接",
    "相關連結", "引用", "注釈・出典", "出典・注釈", "脚注・注釈", "出典・参考文献", "関連文献", "関連項目・外部リンク",
    # pairings no list names: the rule catches them
    "參考資料及註釋", "脚注与参考资料", "外部連結與參考", "注釋與參考資料", "参考文献、外部链接"])
def test_zh_and_ja_reference_headings_are_dropped(heading):
    assert text(f"正文内容。\n\n== {heading} ==\n{{{{reflist}}}}\n* [http://x.com 网站]\n", "zh") == "正文内容。"


@pytest.mark.parametrize("heading", ["历史来源", "来源与影响", "作品和注释", "引用与评价"])
def test_article_sections_whose_names_hold_a_reference_word_stay(heading):
    assert text(f"正文。\n\n== {heading} ==\n内容。", "zh") == f"正文。\n\n{heading}\n内容。"


@pytest.mark.parametrize("wikitext, expected", [
    ("{{基礎情報 会社\n|社名 = 髙島屋\n|画像 = [[ファイル:X.jpg|200px]]\n|設立 = 1831年\n}}\n本文。",
     "社名: 髙島屋\n設立: 1831年\n\n本文。"),
    ("{{城市信息框\n|名称 = 北京\n|图像 = X.jpg\n|人口 = 2189万\n}}\n正文。", "名称: 北京\n人口: 2189万\n\n正文。"),
    ("{{公司資訊框|名稱 = 台積電}}\n正文。", "名稱: 台積電\n\n正文。"),
    ("{{INFOBOX person|name = A}}\nText.", "name: A\n\nText."),
])
def test_zh_and_ja_infoboxes_are_kept_on_request(wikitext, expected):
    assert wikitext_to_text(wikitext, WikitextOptions(keep_infobox=True, drop_sections=DROP)) == expected
    assert wikitext_to_text(wikitext, WikitextOptions(drop_sections=DROP)) == expected.rsplit("\n", 1)[-1]


NOTE_TA = ("{{NoteTA\n|G1=政治人物\n|1=zh-cn:贝拉克·奥巴马; zh-tw:巴拉克·歐巴馬; zh-hk:奧巴馬;\n}}\n"
           "'''贝拉克·奥巴马'''是美国总统。")


@pytest.mark.parametrize("variant, expected", [
    ("zh-tw", "巴拉克·歐巴馬是美国总统。"), ("zh-hk", "奧巴馬是美国总统。"), ("zh-cn", "贝拉克·奥巴马是美国总统。"),
    ("zh", "贝拉克·奥巴马是美国总统。"),         # the unconverted view applies no page rules
])
def test_note_ta_rules_apply_to_the_page(variant, expected):
    assert finish(text(resolve(NOTE_TA, variant), "zh"), None) == expected


@pytest.mark.parametrize("wikitext", ["<ruby><rb>漢字</rb><rt>かんじ</rt></ruby>を読む",
                                      "<ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby>を読む",
                                      "{{ruby|漢字|かんじ}}を読む"])
def test_ruby_markup_keeps_its_base_text_as_the_ruby_template_does(wikitext):
    assert text(wikitext, "ja") == "漢字を読む"
