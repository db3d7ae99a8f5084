"""Rules of the wikitext reader (pipeline/readers/wikitext.py) that need no parse tree: the names it
recognises, and its passes over the text before and after mwparserfromhell's parse.

Names: the Category and File namespaces of the largest Wikipedias, the interlanguage prefixes and
sister projects (what a [[link]] to another namespace or wiki is), and the section names dropped
only when they read as back matter (AMBIGUOUS_SECTIONS), with `dropped_heading`, which matches a
heading's title against the dropped names.

Before parsing, comments, `<ref>` citations and `{| … |}` tables are cut with a regex and a line
scan (strip_dropped_blocks): they are dropped anyway, they are about half of an article's wikitext
(the parser's time grows with the markup it tokenizes: 2x faster on the enwiki sample), and a
citation with broken markup inside is otherwise left by the parser as literal text. A table never
closed ends at the next section heading, as MediaWiki shows it, and is counted. Bold/italic quote
runs are balanced line by line (balance_quotes), because mwparserfromhell decides them differently
from MediaWiki and then gives up on the template around them: MediaWiki closes `''` and `'''` at
the end of each line; the parser pairs a stray `''` inside an infobox with one lines later, and the
infobox comes out as text.

After rendering, `tidy` settles whitespace and what removed markup left behind (empty brackets,
spaces before punctuation), using the private-use marks the renderer leaves in the text: REMOVED,
LITERAL_OPEN/LITERAL_CLOSE, INDENT.

Kept apart from the reader so that wikitext.py stays about walking the parse tree.
"""
from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from typing import Callable

from pipeline.readers import zh_variants
from pipeline.readers.zh_variants import PROTECT_END, PROTECT_START

# The local names and aliases of the Category and File namespaces on the largest Wikipedias (by
# language code; as each wiki's API lists them: siteinfo namespaces and namespacealiases), written
# out as data because wikitext without a <siteinfo> (raw wikitext files, exports that lost it) has
# nothing else to tell `[[Kategori:Türkiye'deki şehirler]]` (a category: not text) from
# `[[Star Wars: Andor]]` (an article link: its text). A dump's <siteinfo> adds its own wiki's
# names, but only the main one, never an alias (zhwiki: "Category", not 分类), so these apply to
# dumps as well. Left out: editors' shortcut aliases (ru К, en/es/tr CAT, he קט, zh-yue 類, sh KT,
# ml വ), which as prefixes of another language's article titles are too likely, and the roWiki
# file alias "Imagine" (enwiki: [[Imagine: John Lennon]]). A link whose target has a file's
# extension is a file in any language anyway (wikitext.py's _MEDIA_FILE). Compared lower-cased,
# NFC, "_" as " ".
CATEGORY_NAMES: dict[str, tuple[str, ...]] = {
    "de": ("Kategorie",), "fr": ("Catégorie",), "es": ("Categoría",), "it": ("Categoria",), "pt": ("Categoria",),
    "ru": ("Категория",), "uk": ("Категория", "Категорія"), "pl": ("Kategoria",), "nl": ("Categorie",),
    "sv": ("Kategori",), "no": ("Kategori",), "nn": ("Kategori",), "da": ("Kategori",), "is": ("Flokkur",),
    "fi": ("Luokka",), "et": ("Kategooria",), "hu": ("Kategória",), "cs": ("Kategorie",), "sk": ("Kategória",),
    "sl": ("Kategorija",), "hr": ("Kategorija",), "bs": ("Kategorija",), "sr": ("Kategorija", "Категорија"),
    "sh": ("Категорија", "Kategorija"), "mk": ("Категорија",), "bg": ("Категория",), "be": ("Катэгорыя",),
    "ro": ("Categorie",), "ca": ("Categoria",), "eu": ("Kategoria",), "gl": ("Categoría",), "ast": ("Categoría",),
    "an": ("Categoría",), "oc": ("Categoria",), "la": ("Categoria",), "eo": ("Kategorio",), "el": ("Κατηγορία",),
    "tr": ("Kategori",), "az": ("Kateqoriya",), "azb": ("بؤلمه",), "uz": ("Kategoriya", "Turkum"),
    "kk": ("Sanat", "سانات", "Санат"), "ky": ("Категория",), "tt": ("Törkem", "Категория", "Төркем"),
    "ba": ("Төркөм", "Категория"), "ce": ("Кадегар", "Категори"), "cv": ("Категори",), "sah": ("Категория",),
    "tg": ("Гурӯҳ",), "vi": ("Thể loại",), "id": ("Kategori",), "ms": ("Kategori",), "min": ("Kategori",),
    "jv": ("Kategori",), "su": ("Kategori",), "ceb": ("Kategoriya",), "war": ("Kaarangay",),
    "tl": ("Kaurian", "Kategorya"), "ar": ("تصنيف",), "arz": ("تصنيف",), "fa": ("رده",), "mzn": ("رده", "رج"),
    "ur": ("زمرہ",), "pnb": ("گٹھ",), "ps": ("وېشنيزه",), "ku": ("پۆل", "Kategorî"), "ckb": ("پۆل",),
    "he": ("קטגוריה",), "yi": ("קאטעגאריע", "קאַטעגאָריע"), "hy": ("Կատեգորիա",), "ka": ("კატეგორია",),
    "hi": ("श्रेणी",), "mr": ("वर्ग",), "ne": ("श्रेणी",), "new": ("पुचः",), "bn": ("বিষয়শ্রেণী",),
    "bpy": ("থাক",), "pa": ("ਸ਼੍ਰੇਣੀ",), "gu": ("શ્રેણી",), "ta": ("பகுப்பு",), "te": ("వర్గం",), "kn": ("ವರ್ಗ",),
    "ml": ("വിഭാഗം", "വർഗ്ഗം"), "si": ("ප්\u200dරවර්ගය",), "th": ("หมวดหมู่",), "my": ("ကဏ္ဍ",),
    "km": ("ចំណាត់ក្រុម", "ចំនាត់ថ្នាក់ក្រុម", "ចំណាត់ថ្នាក់ក្រុម"), "am": ("መደብ",), "sw": ("Jamii",),
    "yo": ("Ẹ̀ka",), "ha": ("Rukuni",), "mg": ("Catégorie", "Sokajy"), "ja": ("カテゴリ",), "ko": ("분류",),
    "zh": ("分类", "分類"), "zh-yue": ("分类", "分類"), "wuu": ("分类", "分類"), "zh-min-nan": ("分类", "分類", "Lūi-pia̍t"),
    "cy": ("Categori",), "ga": ("Catagóir",), "br": ("Rummad",), "lb": ("Kategorie",), "fy": ("Kategory",),
    "lmo": ("Categuria", "Categoria"), "scn": ("Catigurìa",), "vec": ("Categoria",), "qu": ("Katiguriya",),
    "ht": ("Kategori",), "io": ("Kategorio",), "ia": ("Categoria",),
}
FILE_NAMES: dict[str, tuple[str, ...]] = {
    "de": ("Bild", "Datei"), "fr": ("Fichier",), "es": ("Imagen", "Archivo"), "it": ("Immagine",),
    "pt": ("Arquivo", "Imagem", "Ficheiro"), "ru": ("Изображение", "Файл"),
    "uk": ("Зображення", "Изображение", "Файл"), "pl": ("Grafika", "Plik"), "nl": ("Afbeelding", "Bestand"),
    "sv": ("Bild", "Fil"), "no": ("Bilde", "Fil"), "nn": ("Bilde", "Fil"), "da": ("Billede", "Fil"),
    "is": ("Mynd",), "fi": ("Kuva", "Tiedosto"), "et": ("Pilt", "Fail"), "hu": ("Kép", "Fájl"),
    "cs": ("Obrázek", "Obrázok", "Soubor"), "sk": ("Obrázok", "Súbor"), "sl": ("Slika",), "hr": ("Slika", "Datoteka"),
    "bs": ("Slika", "Datoteka"), "sr": ("Datoteka", "Fotografija", "Slika", "Слика", "Фотографија", "Датотека"),
    "sh": ("Fotografija", "Slika", "Датотека", "Datoteka"), "mk": ("Слика", "Податотека"),
    "bg": ("Картинка", "Файл"), "be": ("Выява", "Файл"), "ro": ("Fişier", "Fișier"), "ca": ("Imatge", "Fitxer"),
    "eu": ("Irudi", "Fitxategi"), "gl": ("Arquivo", "Imagem", "Imaxe", "Ficheiro"),
    "ast": ("Archivu", "Imagen", "Imaxe", "Imaxen", "Ficheru"), "an": ("Imagen", "Imachen"),
    "oc": ("Imatge", "Fichièr"), "la": ("Imago", "Fasciculus"), "eo": ("Dosiero",), "el": ("Εικόνα", "Αρχείο"),
    "tr": ("Resim", "Dosya"), "az": ("Şəkil", "Fayl"), "azb": ("تصویر", "فایل"), "uz": ("Tasvir", "Fayl"),
    "kk": ("Swret", "سۋرەت", "Сурет"), "ky": ("Файл",), "tt": ("Räsem", "Изображение", "Рәсем", "Файл"),
    "ba": ("Изображение", "Рәсем", "Файл"), "ce": ("Изображение", "Сурт", "Файл"),
    "cv": ("Изображение", "Ӳкерчĕк"), "sah": ("Изображение", "Ойуу", "Билэ"), "tg": ("Акс",),
    "vi": ("Hình", "Tập tin"), "id": ("Gambar", "Berkas"), "ms": ("Imej", "Fail"), "min": ("Gambar", "Berkas"),
    "jv": ("Gambar", "Barkas"), "su": ("Gambar",), "ceb": ("Imahen", "Payl"), "war": ("Fayl", "Paypay"),
    "tl": ("Talaksan",), "ar": ("صورة", "ملف"), "arz": ("صورة", "ملف"), "fa": ("تصویر", "پرونده"),
    "mzn": ("تصویر", "پرونده"), "ur": ("تصویر", "ملف", "فائل"), "pnb": ("تصویر", "فائل"), "ps": ("انځور", "دوتنه"),
    "ku": ("پەڕگە", "Wêne"), "ckb": ("پەڕگە",), "he": ("תמונה", "קובץ"), "yi": ("בילד", "תמונה", "טעקע"),
    "hy": ("Պատկեր",), "ka": ("სურათი", "ფაილი"), "hi": ("चित्र",), "mr": ("चित्र",), "ne": ("चित्र",),
    "new": ("किपा",), "bn": ("চিত্র",), "bpy": ("ছবি",), "pa": ("ਤਸਵੀਰ",), "gu": ("ચિત્ર",), "ta": ("படிமம்",),
    "te": ("ఫైలు", "బొమ్మ", "దస్త్రం"), "kn": ("ಚಿತ್ರ",), "ml": ("ചിത്രം", "പ്രമാണം"), "si": ("රූපය", "ගොනුව"),
    "th": ("ภาพ", "ไฟล์"), "my": ("ဖိုင်",), "km": ("រូបភាព", "ឯកសារ"), "am": ("ስዕል",), "sw": ("Picha", "Faili"),
    "yo": ("Àwòrán", "Fáìlì"), "ha": ("Fayil",), "mg": ("Sary",), "ja": ("画像", "ファイル"), "ko": ("그림", "파일"),
    "zh": ("图像", "图片", "圖像", "圖片", "文件", "档案", "檔案"), "zh-yue": ("图像", "圖像", "文件", "档案", "檔案"),
    "wuu": ("图像", "图片", "圖像", "圖片", "文件", "档案", "檔案"),
    "zh-min-nan": ("图像", "图片", "圖像", "圖片", "文件", "档案", "檔案", "tóng-àn"), "cy": ("Delwedd",), "ga": ("Íomhá",),
    "br": ("Skeudenn", "Restr"), "lb": ("Bild", "Fichier"), "fy": ("Ofbyld",),
    "lmo": ("Immagine", "Imàjine", "Archivi"), "scn": ("Immagine", "Mmàggini"), "vec": ("Immagine", "Imàjine"),
    "qu": ("Imagen", "Rikcha"), "ht": ("Imaj", "Fichye"), "io": ("Imajo", "Arkivo"),
}


def namespace_key(name: str) -> str:
    """A namespace name as titles are compared: NFC, "_" read as " ", runs of spaces as one,
    lower-cased ("Thể_loại" and "thể loại" are one namespace)."""
    if not name.isascii():
        name = unicodedata.normalize("NFC", name)
    return " ".join(name.replace("_", " ").split()).lower()


# Canonical names (Media: links to a file) and those above.
FILE_NAMESPACES = {"file", "image", "media", "媒体", "媒體"} | {namespace_key(n) for v in FILE_NAMES.values() for n in v}
CATEGORY_NAMESPACES = {"category"} | {namespace_key(n) for v in CATEGORY_NAMES.values() for n in v}
# The prefixes of interlanguage links: the Wikipedias' language codes (open and closed editions, as
# meta.wikimedia.org's List of Wikipedias had them in 2025: add a new edition here) and the aliases Wikimedia's interwiki map also reads as
# languages (nb, dk, zh-cn, zh-tw, be-x-old; the ISO codes of wikis named otherwise: lzh, yue, nan, ...).
# A list, not a pattern: "Re:ゼロから始める異世界生活" and "CSI: Miami" are titles, and MediaWiki
# itself makes a link interlanguage by this list (case-insensitive, a space after the colon allowed),
# which is why no article's title starts with one. Written out: no installed library ships it (lid.176's
# labels are another set: no simple, zh-classical or be-tarask).
WIKIPEDIA_LANGUAGES = frozenset("""
aa ab ace ady af ak als alt am ami an ang ann anp ar arc ary arz as ast atj av avk awa ay az azb ba ban bar
bat-smg bbc bcl bdr be be-tarask be-x-old bew bg bh bi bjn blk bm bn bo bpy br bs btm bug bxr ca cbk-zam
cdo ce ceb ch cho chr chy ckb co cr crh cs csb cu cv cy da dag de dga din diq dk dsb dtp dty dv dz ee el
eml en eo es et eu ext fa fat ff fi fiu-vro fj fo fon fr frp frr fur fy ga gag gan gcr gd gl glk gn gom gor
got gpe gu guc gur guw gv ha hak haw he hi hif ho hr hsb ht hu hy hyw hz ia iba id ie ig igl ii ik ilo inh
io is it iu ja jam jbo jv ka kaa kab kbd kbp kcg kg kge ki kj kk kl km kn knc ko koi kr krc ks ksh ku kus
kv kw ky la lad lb lbe lez lfn lg li lij lld lmo ln lo lrc lt ltg lv lzh mad mai map-bms mdf mg mh mhr mi
min mk ml mn mni mnw mo mos mr mrj ms mt mus mwl my myv mzn na nah nan nap nb nds nds-nl ne new ng nia nl
nn no nov nqo nr nrm nso nup nv ny oc olo om or os pa pag pam pap pcd pcm pdc pfl pi pih pl pms pnb pnt ps
pt pwn qu rm rmy rn ro roa-rup roa-tara rsk ru rue rup rw sa sah sat sc scn sco sd se sg sgs sh shi shn si
simple sk skr sl sm smn sn so sq sr srn ss st stq su sv sw syl szl szy ta tay tcy tdd te tet tg th ti tig
tk tl tly tn to tpi tr trv ts tt tum tw ty tyv udm ug uk ur uz ve vec vep vi vls vo vro wa war wo wuu xal
xh xmf yi yo yue za zea zgh zh zh-classical zh-cn zh-min-nan zh-tw zh-yue zu""".split())
# Links to sister projects are links in the sentence ([[wikt:аксіологічний|аксіологічним]]), unlike
# interlanguage links ([[en:Foo]]), which MediaWiki moves out of the text into the sidebar.
SISTER_PROJECTS = {"wikt", "wiktionary", "commons", "wikipedia", "wikisource", "wikiquote", "wikibooks",
                   "wikinews", "wikiversity", "voy", "wikivoyage", "species", "wikispecies", "wikidata", "meta",
                   "mw", "incubator"}
# Private-use marks around literal spans (math, code) between rendering and tidy.
LITERAL_OPEN, LITERAL_CLOSE = "\ue002", "\ue003"
_LITERAL = re.compile("\ue002(.*?)\ue003", re.S)
_PARKED = re.compile("\ue002(\\d+)\ue003")
# A nested list item's indentation, one mark a level below the first, until tidy makes it spaces
# (tidy strips lines and collapses runs of spaces, which would flatten it).
INDENT = "\ue006"
_INDENT_RUN = re.compile("^\ue006+", re.M)
# A space before , or . is no language's: the gap a removed template or citation left. Before ; : ! ?
# French puts one ("Pourquoi ? Il dit : « bonjour » ;"), so there only the gap a removal left is
# mended ("word {{cn}}; more", "word <ref>…</ref> : more"), and on a French wiki not even that
# (MediaWiki's French typography spaces them). REMOVED marks where something was removed after a
# space, an opening bracket or a separator, until tidy has used it.
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([,.])(?=\s|$)")
REMOVED = "\ue007"
REMOVAL_MARKED_AFTER = frozenset(" \t(（,;:，；：、")
# A bracket with a removal inside (templates, citations and files dropped): "Albania ({{IPAc-en|…}};
# Albanian: …)" read "Albania (; Albanian: …)", "Asphalt ({{IPAc-en|…}}, {{IPAc-en|…}}, occasionally
# {{IPAc-en|…}})" "Asphalt (, , occasionally )". The separators and spaces around the removals at its
# ends go, and the bracket with them when nothing else is left; a bracket without a removal inside
# (one the author wrote empty, "f()") is left as written.
_BRACKET_WITH_REMOVAL = re.compile("([(（])([^()（）\n]*\ue007[^()（）\n]*)([)）])")
_REMOVAL_EDGE = "[ \t\ue007,;:，；：、]*"
_REMOVAL_HEAD = re.compile(f"^[ \t]*\ue007{_REMOVAL_EDGE}|^[ \t]*[,;:，；：、]{_REMOVAL_EDGE}\ue007{_REMOVAL_EDGE}")
_REMOVAL_TAIL = re.compile(f"{_REMOVAL_EDGE}\ue007[ \t\ue007]*$|[,;:，；：、]{_REMOVAL_EDGE}\ue007[ \t\ue007]*$")
# "(US: …, {{IPAc-en|…}}, occasionally …)": the separator before a removal between two items.
_REMOVAL_BETWEEN = re.compile("[,;，；、][ \t\ue007]*\ue007[ \t\ue007]*(?=[,;，；、])")
_GAP_BEFORE_PUNCT = re.compile(r"[ \t]+\ue007[ \t\ue007]*([;:!?])(?=\s|$)")
SPACED_PUNCTUATION_LANGUAGES = {"fr"}
_MULTI_SPACE = re.compile(r"[ \t\u00a0]{2,}")
_BLANK_LINES = re.compile(r"\n{3,}")
_MAGIC_WORD = re.compile(r"__[A-Z]+__")
_EMPTY_BRACKETS = re.compile(r"\[\s*\]")
# "（Lu Xun，）", "(Lu Xun, )": a separator before a closing bracket, the item after it removed; an
# ASCII one only right after a word ("wink ;)" is text)
_DANGLING_BEFORE_CLOSE = re.compile(r"\s*[，；：、]\s*([)）])|(?<=[^\s(（])[,;]\s*([)）])")
# What mwparserfromhell leaves as text when markup is broken (unclosed {{, stray [[).
_LEFTOVER = re.compile(r"\{\{|\}\}|\[\[|\]\]|\{\||\|\}")
_QUOTE_RUN = re.compile(r"'{2,}")
_PRE_STRIP = re.compile(r"<!--.*?(?:-->|$)|<ref\b[^>]*?/\s*>|<ref\b[^>]*>.*?</ref\s*>"
                        r"|<references\b[^>]*>.*?</references\s*>", re.S | re.I)
# Tags whose content is not wikitext: their apostrophes are not bold/italic markup.
_LITERAL_TAG = re.compile(r"<(nowiki|pre|math|syntaxhighlight|source|chem|ce|score|timeline|graph|hiero)\b"
                          r"[^>]*?(?<!/)>.*?</\1\s*>", re.S | re.I)
_PARKED_TAG = re.compile("\ue004(\\d+)\ue005")
_QUOTE_SCOPE = re.compile(r"\{\{|\}\}|\[\[|\]\]|\|")     # where a template's or a link's argument starts or ends
# A section heading line: it ends a table left unclosed, as MediaWiki shows the sections after one.
_HEADING_LINE = re.compile(r"^=+[^=\n].*=\s*$")
# Templates that stand for a table's closing `|}` ({{end}}, enwiki's and its copies').
_TABLE_END_TEMPLATE = re.compile(r"^\{\{\s*end\s*\}\}", re.I)


def strip_dropped_blocks(wikitext: str, count: Callable[[str], None] | None = None) -> str:
    """Comments, citations and tables removed (nested tables included) before the parse. A table
    ends at its `|}` (or {{end}}, which stands for it), keeping what follows on that line (the
    `</div>` of a box around it); one left unclosed ends at the next section heading, as MediaWiki
    shows the sections after it, or at the page's end, and is counted `wikitext_unclosed_tables`."""
    wikitext = _PRE_STRIP.sub(_removed_block, wikitext)
    if "{|" not in wikitext:
        return wikitext
    kept, depth, unclosed = [], 0, 0
    for line in wikitext.split("\n"):
        head = line.lstrip().lstrip(":").lstrip()    # ":{|": a table indented, as MediaWiki allows
        if head.startswith("{|"):
            depth += 1
        elif depth and (head.startswith("|}") or (end := _TABLE_END_TEMPLATE.match(head))):
            depth -= 1
            rest = head[2:] if head.startswith("|}") else head[end.end():]
            if not depth and rest.strip():
                kept.append(rest)
            continue
        elif depth and _HEADING_LINE.match(line):
            unclosed += depth
            depth = 0
        if not depth:
            kept.append(line)
    unclosed += depth
    if unclosed and count is not None:
        count("wikitext_unclosed_tables", unclosed)
    return "\n".join(kept)


def _removed_block(m: re.Match) -> str:
    """A comment goes without a trace; a citation after a space, a bracket or a separator leaves
    REMOVED (see tidy)."""
    i = m.start()
    return REMOVED if i and m.string[i - 1] in REMOVAL_MARKED_AFTER and m.group(0)[:4].lower() == "<ref" else ""


def balance_quotes(wikitext: str) -> str:
    """Bold/italic markup settled line by line, as MediaWiki's doQuotes renders it: on a line with
    an odd number of both italic and bold runs, one bold run is an apostrophe and an italic run
    (`''Iliad'''s`); a run still open at the end of the line is closed there. Lines balanced as
    written (in each template argument and link as well) are left to the parser; on the others the
    markup is removed and the apostrophes that are letters kept, which reads as MediaWiki shows
    the line. The content of <nowiki>, <pre>, <math> ... is not wikitext and is left alone.
    Hand-written: the parser has no line-by-line mode for quotes."""
    if "''" not in wikitext:
        return wikitext
    parked: list[str] = []
    if "<" in wikitext:
        def park(m):
            parked.append(m.group(0))
            return f"\ue004{len(parked) - 1}\ue005"
        wikitext = _LITERAL_TAG.sub(park, wikitext)
    wikitext = "\n".join(_balance_line(line) if "''" in line else line for line in wikitext.split("\n"))
    return _PARKED_TAG.sub(lambda m: parked[int(m.group(1))], wikitext) if parked else wikitext


def _balance_line(line: str) -> str:
    runs = list(_QUOTE_RUN.finditer(line))
    # of 4 apostrophes one is a letter, of more than 5 the extra ones are
    literal = [1 if len(m.group()) == 4 else max(0, len(m.group()) - 5) for m in runs]
    marks = [len(m.group()) - lit for m, lit in zip(runs, literal)]
    changed = False
    if sum(n in (2, 5) for n in marks) % 2 and sum(n in (3, 5) for n in marks) % 2:
        # odd italics and odd bolds: a bold run is an apostrophe and an italic run, the first one
        # after a one-letter word, else after a longer word, else after a space
        single = multi = space = None
        for k, (m, n) in enumerate(zip(runs, marks)):
            if n != 3:
                continue
            before = "  " + line[:m.start()][-2:]
            x1, x2 = before[-1], before[-2]
            if x1 == " ":
                space = k if space is None else space
            elif x2 == " ":
                single = k
                break
            elif multi is None:
                multi = k
        k = next((i for i in (single, multi, space) if i is not None), None)
        if k is not None:
            literal[k], marks[k], changed = literal[k] + 1, 2, True
    # Balanced means balanced between the line's template and link boundaries too: the parser
    # gives up on {{nowrap|''{{lang|es|…}}}}'' although MediaWiki, expanding the template first,
    # shows it in italics.
    counts: dict[int, list[int]] = {}
    bounds = [m.start() for m in _QUOTE_SCOPE.finditer(line)]
    for m, n in zip(runs, marks):
        c = counts.setdefault(bisect.bisect(bounds, m.start()), [0, 0])
        c[0] += n in (2, 5)
        c[1] += n in (3, 5)
    if not changed and not any(i % 2 or b % 2 for i, b in counts.values()):
        return line
    # Otherwise the line's markup goes: formatting is not plain text, and whatever MediaWiki
    # closes at the end of the line reads the same without it.
    out, pos = [], 0
    for m, lit in zip(runs, literal):
        out.append(line[pos:m.start()] + "&#39;" * lit)
        pos = m.end()
    return "".join(out) + line[pos:]


def tidy(text: str, final: bool = True, spaced_punctuation: bool = False) -> str:
    """Whitespace and the leftovers of removed markup: empty brackets, spaces before punctuation
    (before ; : ! ? only where a removal left them, and never with `spaced_punctuation`, French).
    Literal spans (math, code) are set aside first, so `\\frac{a}{b^{2}}` keeps its braces and
    code its indentation; `final=False` leaves them marked for an enclosing tidy."""
    literals: list[str] = []
    if LITERAL_OPEN in text:
        def park(m):
            literals.append(m.group(1).replace(REMOVED, ""))
            return f"{LITERAL_OPEN}{len(literals) - 1}{LITERAL_CLOSE}"
        text = _LITERAL.sub(park, text)
    if REMOVED in text:
        text = _BRACKET_WITH_REMOVAL.sub(_bracket_after_removal, text)
        if not spaced_punctuation:
            text = _GAP_BEFORE_PUNCT.sub(r"\1", text)
        text = text.replace(REMOVED, "")
    text = _MAGIC_WORD.sub("", text)
    text = _LEFTOVER.sub("", text)
    if "''" in text:
        text = _QUOTE_RUN.sub(_unpaired_quotes, text)
    text = _EMPTY_BRACKETS.sub("", text)
    text = _DANGLING_BEFORE_CLOSE.sub(lambda m: m.group(1) or m.group(2), text)
    text = _MULTI_SPACE.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    lines = [ln.strip() for ln in text.split("\n")]
    # a list marker or heading left alone by removed content is not text
    lines = [ln if ln.lstrip(INDENT) != "-" else "" for ln in lines]
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    if final and INDENT in text:     # a nested item's indentation; inside a line (an infobox value) none
        text = _INDENT_RUN.sub(lambda m: "  " * len(m.group()), text).replace(INDENT, "")
    if literals:
        wrap = (lambda s: s) if final else (lambda s: f"{LITERAL_OPEN}{s}{LITERAL_CLOSE}")
        text = _PARKED.sub(lambda m: wrap(literals[int(m.group(1))]), text)
    return text


def _bracket_after_removal(m: re.Match) -> str:
    """A bracket with REMOVED inside, without what the removal left at its ends (see
    _BRACKET_WITH_REMOVAL); nothing when that is all it held."""
    inner = _REMOVAL_BETWEEN.sub("", m.group(2))
    inner = _REMOVAL_TAIL.sub("", _REMOVAL_HEAD.sub("", inner))
    if not inner.replace(REMOVED, "").strip(" \t,;:，；：、"):
        return REMOVED
    return m.group(1) + inner + m.group(3)


def _unpaired_quotes(m: re.Match) -> str:
    """Bold/italic markup the parser left unpaired, as MediaWiki's doQuotes shows it: 2, 3 or 5
    apostrophes are markup; of 4, one is a letter; past 5, the extra ones are. With an odd count
    of both bold and italic on a line, a bold run inside a word is an apostrophe and an italic
    close (`''Iliad'''s` reads "Iliad's")."""
    n, s, i, j = len(m.group()), m.string, m.start(), m.end()
    if n == 3 and i and j < len(s) and s[i - 1].isalnum() and s[j].isalnum():
        return "'"
    return "'" if n == 4 else "'" * (n - 5) if n > 5 else ""


# Section names that are back matter on most pages and content on some: dewiki's "Literatur" (a
# reading list, or a country's literature), "Quellen" (sources, or springs), ruwiki's
# "Литература", zhwiki's "来源" (sources, or a name's origin), "引用" and "参考". Such a section is
# dropped only inside the page's back matter (a level-2 section after a dropped one, with only
# dropped ones after it) or when it is mostly lists, citations and templates (see wikitext.py's
# _content_section).
# Being last is not enough: 北京市's "来源", the name's origin, is its last section before the references.
AMBIGUOUS_SECTIONS = frozenset({"literatur", "quellen", "литература", "література", "источники", "джерела",
                                "fuentes", "bronnen", "πηγές", "sources", "bibliographie", "bibliografía",
                                "bibliografia", "βιβλιογραφία", "来源", "來源", "引用", "参考", "參考"})
# What joins section names in a zh/ja heading: 与/與/和/及 (zh), ・/、 and と/及び/および/並びに (ja: "脚注と出典").
_HEADING_JOINER = re.compile(r"\s*(?:及び|および|並びに|[与與和及・、と])\s*")


def dropped_heading(title: str, drop_sections: frozenset[str]) -> bool:
    """Whether a heading names a dropped section: one of `drop_sections`, or several of them joined
    as zh/ja headings join them ("注释与参考资料", "注釈・出典", "脚注と出典"), so the pairings a list would miss
    are caught. "历史来源" is no such heading: "历史" is not a dropped name. A Chinese title is also
    compared in Simplified script (OpenCC t2s): a page rule ({{NoteTA}}) converts words of a title, not
    the whole of it ("參考资料" under zh-tw)."""
    title = _heading_key(title)
    if _names_dropped(title, drop_sections):
        return True
    if title.isascii() or not _CJK.search(title):
        return False
    t2s = zh_variants.opencc_converter("t2s").convert
    return _names_dropped(t2s(title), _simplified(drop_sections))


def _names_dropped(title: str, drop_sections: frozenset[str]) -> bool:
    if title in drop_sections:
        return True
    parts = _HEADING_JOINER.split(title)
    return len(parts) > 1 and all(p in drop_sections for p in parts)


_CJK = re.compile(r"[\u4e00-\u9fff]")


@functools.lru_cache(maxsize=8)
def _simplified(drop_sections: frozenset[str]) -> frozenset[str]:
    t2s = zh_variants.opencc_converter("t2s").convert
    return frozenset(t2s(n) for n in drop_sections)


def _heading_key(title: str) -> str:
    """A heading's title as compared with section names: without the marks of text a zh page
    protects from conversion (`== -{zh-hans:参考资料;zh-hant:參考資料}- ==`, a NoteTA rule's output)
    or of removed markup, lower-cased."""
    return title.translate(_HEADING_MARKS).strip().lower()


_HEADING_MARKS = str.maketrans("", "", PROTECT_START + PROTECT_END + REMOVED)
