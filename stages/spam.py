"""`spam_filter`: SEO spam (gambling, lottery, porn, fake invoices, stock tips, pharmacy) by phrase lists
read in the page's title, URL/host and text, and ads that send the reader to a WeChat, QQ or phone.

Why title and URL: Chinese gambling spam usually hijacks an ordinary site: the brand sits in the
`<title>` (and the spammer's host) over an unrelated, harmless article body, so a rule that reads
only the body and needs several matches sees nothing. A phrase in the title or the host is a
much stronger signal than one in a long body. A news story about a gambling crackdown or a
consumer warning does put the words in its headline (詐騙集團利用娛樂城吸金 警方逮12人, 警惕！"注册送
彩金"是网络赌博陷阱, "Police shut down illegal online casino ring") and in its URL's slug, but its
body reads as a report about the activity; a hijacked page's body is about something else.

Lists are data files (stages/data/blocklists/<xx>_<category>.txt, plus any `extra_list_files`) of
phrases with weights, and `url:`, `contact:`, `topic:`, `report:`, `not:`, `field:` and `sells:` lines
(their format is in stages/spam_phrases.py). Besides the SEO
families (gambling, lottery, porn, fake invoices, stock tips, private servers) the Chinese lists
cover what WeChat-era ads sell: loans (zh_loans), health and beauty remedies (zh_health_scam),
fortune-telling (zh_fortune), agent/MLM recruitment (zh_mlm) and ordinary advertising (zh_ads,
nearly all contact-only); the Japanese ones online-casino affiliates, counterfeit goods (スーパーコピー),
sex-dating and adult video, and mail-order ED drugs (ja_gambling, ja_counterfeit, ja_porn, ja_pharma,
merged into the categories of the same name), and side-job schemes (ja_side_job); surrogacy agencies
(zh_surrogacy), game-cheat shops (zh_game_cheat) and counterfeit goods (zh_counterfeit) in Chinese.
Recall lists for other trades (essay-mill word orders, escort ads, game gold, spell casters, fake
passports, task scams) were tried and left out: each removed news and guides about its trade.

Per document and category: score = `title_weight` x (weights of distinct phrases in the title)
+ `url_weight` x (weights of distinct phrases in the URL) + (weights of distinct phrases in the
text). A document is removed when
- the title or URL has a hit and the score reaches `min_score` (a hijacked page), unless the text
  reads as a report about the category: `report_title_min_distinct` (3) different report words
  (below), and its topic words (`topic:` lines: the plain names a report uses, 赌博, gambling; not
  the spam phrases, which a hijacked page's stuffed keyword line has, nor product names such as
  casino or pharmacy, which spam pages use of themselves; nor a topic word inside a phrase found, 赌场
  in 澳门赌场) at least once per `TOPIC_CHARS` (1000, stages/spam_phrases.py) characters.
  Then the headline and the URL's path are the story's own words and only a hit in the URL's
  host (a spammer's domain) removes the page. A hijacked page's body, even a crime story full of
  report words, names no gambling; a spam page's body has no report words, or one or two
  (远离非法平台, 公安备案); a long article that mentions the activity once in passing does not
  name it often enough. Or
- the text alone is spam: at least `min_matches` matches of at least `min_distinct` phrases (one
  weighing under 1 counts as its weight) and
  `min_matches_per_1k_chars` per 1000 characters (so a long article with a few mentions stays),
  and the text does not read as a report about the activity: fewer than `report_min_distinct`
  different words of police, courts, regulators or the press (stages/data/report_words.txt). A
  crackdown story names the gambling site, the drug or the fake invoices many times; promotion
  never says 警方, 涉嫌 or "prosecutors". Or
- one phrase alone is repeated through the text (`repeat_min_matches` 6 times and
  `repeat_min_per_1k_chars` 4 per 1000 characters), the text does not name the category by its
  topic words (as above), and the phrase was put in: the title names it twice or more (X_X官网_X最新网址;
  without a title, a short first line), a Chinese or Japanese phrase stands apart by spaces 3 times
  (`。办证 市场监管`: CJK prose puts no spaces around words), or the URL's host has a phrase: a
  parasite page (寄生虫) glues one target phrase onto scraped sentences, which min_distinct never
  sees. One phrase however often is also what any page about the thing looks like (Hardcore punk,
  an RV park's full hookups, a city's 出入境办证大厅, a Cialis monograph), so repetition alone is no evidence. In the calibration's good documents (with all of CLUE and the stored
  pages: 4,566) the densest repeat is 1.7 per 1000; a page about baccarat or Macau's casinos names
  赌场 or 赌博 in its own words. Reason `<category>_repeat`.
- the text asks the reader to get in touch (the contact rule): it gives a contact handle - a
  WeChat ID, a QQ number or a phone number after 微信/QQ/电话 and their evasive spellings (薇信,
  威/信, V信, vx), a LINE @id after LINE, a Telegram @name after Telegram/TG, a mobile (138-1688-9999
  too), 400 or North American number ((201) 555-0188, 1-888-555-0142) standing alone, or "加王老师微信" (a person's account) -
  and, in one category, the distinct phrases it holds weigh `contact_min_score` (2), counting the
  category's text phrases, its contact-only ones (`contact: phrase` lines) and its trade's words
  (`field: phrase` lines), with at least one that is not a trade's word; not a report (the report
  words as above, which include the newsroom's: 报道, 本报, 新闻线索). Why: real Chinese web
  spam is mostly not keyword farms but one post - a trading "analyst"'s calls, a remedy, a course,
  a fortune reading, an agent recruitment - that ends by sending the reader to a WeChat or a phone;
  a long article with one such ad is far below the text rule's density, and its words (止损, 减肥,
  课程, 运势) are ordinary ones. A handle alone removes nothing (newsrooms, job ads and Zhihu
  answers give WeChat IDs and numbers); ordinary words alone remove nothing; together they are an
  ad. Contact-only words are the generic vocabulary of what is sold (market terms, complaints,
  shop and course words), weighted 0.5 where job ads and shop reviews share them (咨询, 门店). A
  trade's own words are no ad at all: a hospital department's page (患者, 症状, 中药, 妇科) or a
  pharmacy's (Viagra, Cialis), a law firm's (网贷, 信用卡) print them beside a booking number, so
  `field:` words (0.5 each) count only beside a word of the ad's own: a cure, a refund, a quick
  result, an urging (根治, 无效退款, 见效, 不反弹, 急用钱, no prescription); or beside a person's handle
  (a WeChat, QQ, LINE or Telegram account, a WhatsApp number, 加王老师微信, a mobile with no hospital,
  clinic, pharmacy or law firm named near it: stages/spam_rules.py) where they weigh
  `contact_min_score` in every `TRADE_AD_CHARS` (80) characters: an ad lists what it sells
  (小额贷款、信用贷款、房屋抵押贷款，审批简单，利息低…微信：dk88888), an article on the subject that ends
  with its author's WeChat names a few of them in a longer text. A landline, a 400 or a North
  American number is an institution's desk.
What is not evidence: a URL path that repeats the title (/wiki/Super_Bowl_XXX, /what-is-a-payday-loan)
adds nothing to the title's phrases (the host, the site's own name, still counts); a title that asks or
defines (What is a cash advance?, How to spot a replica Rolex; 延时喷剂有用吗？, 代孕为什么违法, 〜とは)
without a word of selling (buy, cheap; 哪里买, 价格, 靠谱, 通販) weighs as text and is no title hit, and so
does an encyclopedia entry's (百家乐 - 维基百科, Online casino - Wikipedia); a list's `not:` phrases (pussy willow, Pussy Riot), X placeholders of number
masks ((XXX) XXX-XXXX) and an upper-case Roman numeral in a name (Super Bowl XXX, XXX Corps) where it
is the field's only phrase are blanked before matching. Report words come from report_words_file and
more_report_words_files (English regulators' words, German, French, Spanish) and the lists' `report:`
lines (a health service's, a gambling helpline's, consumer credit's, a university's words; for
gambling also the words of industry news, statistics, regulation and reference writing, as Macau's
press words them: 博彩监察协调局, 毛收入, 按年, 白皮书, 起源于, gross gaming revenue, year-on-year, with
its topic lines 博彩业, 幸运博彩: a revenue story names no police and says 博彩, not 赌博). A text that
sells (a `sells:` line: 注册送, 立即注册, 首存送, sign up now, claim your) is no report by a category's
own `report:` words: casino and tipster pages open with an encyclopedia's or a revenue story's words
too (百家乐起源于意大利，庄家优势仅1.06%; 资深分析师…业绩连红; "Baccarat originated in Italy… lowest
house edge"), then urge the reader to sign up.
The title: the `title_field` column, else (default) the metadata JSON's `title`, where JSONL and
Parquet sources keep extra fields; a dotted `title_field` (metadata.title) is a key in a JSON column.
The reason says the category and where it mattered most: `gambling_title`, `porn_url`,
`fake_invoice_text`, `stock_tips_contact`; the `spam_signal` column lists what matched where
(`contact[wechat:abc123]` for the handles; `spam_score` stays the title/URL/text score, and
`spam_contact_score` holds the contact rule's weight of the rows it removed).

Text and title matching is one RE2 alternation per category over the whole batch (Arrow), and
so is the URL rule where RE2's search is the same as Python's; only the candidates are looked at
in Python. The contact rule likewise: an RE2 pre-filter for channel words and numbers, Python's
`CONTACT_RE` on those rows, and each category's RE2 alternation over the few with a handle.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from pipeline.documents import json_path_values
from pipeline.stage import Filter, Judgement, check_files_exist
# The lists' phrases and how one is found live in stages/spam_phrases.py, the contact rule's
# handles in stages/spam_rules.py.
from stages.spam_phrases import (_LINE_KINDS, _Category, _alternation, _asks, _contains, _host, _plain_on_ascii,
                                 _traditional, _url_text, category_of, read_phrase_file)
from stages.spam_rules import _CONTACT_PREFILTER, contact_handles, personal_handles

LIST_DIR = Path(__file__).parent / "data" / "blocklists"
DEFAULT_LISTS = ["zh_gambling", "zh_lottery", "zh_porn", "zh_fake_invoice", "zh_stock_tips", "zh_private_server",
                 "zh_loans", "zh_health_scam", "zh_fortune", "zh_mlm", "zh_ads", "zh_surrogacy", "zh_game_cheat",
                 "zh_counterfeit",
                 "en_gambling", "en_porn", "en_pharma", "en_loans", "en_investment_scam", "en_essay_mill",
                 "en_counterfeit", "ja_gambling", "ja_porn", "ja_pharma", "ja_counterfeit", "ja_side_job"]
REPORT_WORDS = Path(__file__).parent / "data" / "report_words.txt"


# The footer line of Chinese sites (the regulator's reporting centre, 违法和不良信息举报中心/电话),
# Simplified and Traditional: boilerplate, not a report's words (SpamFilter._report_words).
_FOOTER_REPORT_LINE = re.compile("(?:[违違]法[和與与及]?)?不良[信資][息訊][举舉][报報]")


# Beside a person's handle the trade's words alone (`field:` lines) are an ad where they weigh
# contact_min_score in every this many characters: an ad lists what it sells (小额贷款、信用贷款、房屋抵押
# 贷款…微信：dk88888, 30 to 80 characters), an article on the subject that ends with its author's
# WeChat (科学减肥… 不要相信所谓的减肥药和燃脂神器… 加我微信交流) names a few of them in a longer text.
TRADE_AD_CHARS = 80


class SpamFilter(Filter):
    """Removes SEO spam found by phrase lists in the title, URL/host and text, and ads that give a
    contact handle; reason `<category>_<where>`.

    Adds `spam_matches` (int32: text matches of the most-matched category), `spam_score`
    (float32: the highest category score) and `spam_signal` (what matched where, or null)."""
    name: ClassVar[str] = "spam_filter"
    adds: ClassVar[frozenset[str]] = frozenset({"spam_*"})
    # 3: Latin phrases match whole words; 4: the contact rule, zh_loans/health_scam/fortune/mlm/ads;
    # 5: reports about the category are spared by the title and URL rules (topic lines), ja_ lists;
    # 6: the repetition rule, report: lines, grouped mobile numbers and LINE @ids, titles in metadata
    # 7: a URL path repeating the title counts once, question titles weigh as text, not: lines, Roman
    #    numerals and X masks, more report words (English regulators, German, French, Spanish)
    # 8: spam_contact_score, the contact rule's weight of what it removed
    # 9: the repetition rule needs the phrase put in; Chinese/Japanese question titles; weights under 1
    #    count so in the text rule; North American numbers and Telegram names; zh_counterfeit
    # 10: field: lines (a trade's words count in the contact rule only beside an ad's), not: lines in the
    #     contact rule, encyclopedia titles define, gambling industry-news report words
    # 11: sells: lines (a text that sells is no report by its category's own report: words); a trade's
    #     words alone are an ad beside a person's handle where they are dense
    version: ClassVar[str] = "11"
    # Drawn on the report's histograms. Both rules are conditional (a score counts only with a title
    # or URL hit; text matches only when dense and distinct enough): the lines mark where removal begins.
    signal_thresholds: ClassVar[dict] = {"spam_score": ("min_score", "below"),
                                         "spam_matches": ("min_matches", "below"),
                                         "spam_contact_score": ("contact_min_score", "below")}

    lists: list[str] = Field(default_factory=lambda: list(DEFAULT_LISTS), description=(
        "Built-in lists to use (stages/data/blocklists/<name>.txt); the category is the name minus its "
        "`xx_` language prefix."))
    extra_list_files: list[str] = Field(default_factory=list, description=(
        "More list files (paths), same format: phrase[<TAB>weight] per line, `url: token` for URL-only "
        "tokens, `contact: phrase` for phrases counted only by the contact rule, `topic: word` for the plain "
        "names of the activity a report about it uses (no spam words), `report: word` for its report words, "
        "`not: phrase` for names and plain words holding a phrase (pussy willow: its matches do not count), "
        "`field: phrase` for the lawful trade's words (患者, viagra: the contact rule counts them only beside "
        "another of the list's phrases or a person's handle), `sells: phrase` for the promotion's offers and "
        "urgings (注册送, sign up now: a text holding one is no report by the `report:` words), # comments. "
        "A file named "
        "xx_<category>.txt adds to that category."))
    title_field: str = Field("title", description=(
        "Column holding the page title (skipped if absent, unless set here: then the input must have it). "
        "A dotted name (metadata.title) with no such column is a key in that JSON column; at the default, "
        "a batch without a `title` column takes the metadata's `title` (JSONL/Parquet sources, CCNet)."))
    url_field: str = Field("url", description=(
        "Column holding the page URL (skipped if absent, unless set here: then the input must have it)."))
    text_field: str = Field("text", description="Column holding the text.")
    title_weight: float = Field(3.0, ge=0.0, description="Score of a phrase in the title, per unit of weight.")
    url_weight: float = Field(3.0, ge=0.0, description="Score of a phrase in the URL/host, per unit of weight.")
    min_score: float = Field(6.0, gt=0.0, description=(
        "Remove a page with a title or URL hit when its category score reaches this: one brand-name "
        "phrase (weight 2) in the title, or two ordinary ones, or one plus the URL or the text."))
    traditional_variants: bool = Field(True, description=(
        "Also match the Traditional-character form (OpenCC s2t and s2tw) of every phrase in a zh_ list, "
        "so 娛樂城 and 百家樂 count like 娱乐城 and 百家乐."))
    min_matches: int = Field(3, ge=1, description="Text-only rule: minimum matches of one category.")
    min_distinct: int = Field(2, ge=1, description=(
        "Text-only rule: minimum different phrases among them; a phrase weighing under 1 (words that "
        "ordinary pages use too: a bank's 'minimum deposit') counts as its weight."))
    min_matches_per_1k_chars: float = Field(2.0, ge=0.0, description=(
        "Text-only rule: minimum matches per 1000 characters, so long articles with a few mentions stay."))
    repeat_min_matches: int | None = Field(6, ge=2, description=(
        "Repetition rule: remove a text in which one phrase of a category occurs this often (and "
        "repeat_min_per_1k_chars), that does not name the category by its topic words once per 1000 "
        "characters, and where the phrase was put in (twice in the title, set apart by spaces in CJK text, "
        "or in the URL's host): a parasite page glues one target phrase onto scraped sentences; null: off."))
    repeat_min_per_1k_chars: float = Field(4.0, ge=0.0, description=(
        "Repetition rule: that phrase's minimum occurrences per 1000 characters."))
    contact_min_score: float | None = Field(2.0, gt=0.0, description=(
        "Contact rule: remove a text that gives a contact handle (a WeChat ID, QQ or phone number after "
        "微信/QQ/电话..., a mobile or 400 number) when one category's phrases found in it (its text "
        "phrases, its `contact:` ones and its `field:` ones; these alone only beside a person's handle, a "
        "WeChat or a mobile, and this much per 80 characters) weigh this much, and it does not read as a "
        "report; null: off."))
    report_words_file: str = Field(str(REPORT_WORDS), description=(
        "Words of a report about the activity (police, courts, regulators, the press), one a line; a text "
        "with report_min_distinct different ones is not removed by the text-only rule (crackdown news) nor "
        "by the contact rule (a news page that lists hotlines or gives its reporter's WeChat), nor by the "
        "title and URL rules when it names the category throughout (report_title_min_distinct)."))
    more_report_words_files: list[str] = Field(
        default_factory=lambda: [str(LIST_DIR / f"{xx}_report_words.txt") for xx in ("en", "de", "fr", "es")],
        description=(
            "More files of report words, same format, read with report_words_file: the built-in ones hold "
            "the words of regulators' fines and investigations in English and the police, court and "
            "regulator words of German, French and Spanish pages."))
    report_min_distinct: int = Field(2, ge=1, description=(
        "Text-only and contact rules: this many different report words make a text a report, kept "
        "(a large number turns the exception off)."))
    report_title_min_distinct: int = Field(3, ge=1, description=(
        "Title and URL rules: a text with this many different report words that names the category "
        "throughout (its `topic:` words and phrases once per 1000 characters) is a story about it, and "
        "its headline and URL path do not remove it (a hit in the URL's host still does). One more than "
        "report_min_distinct: a promotion page may say 非法 and 公安 (\"远离非法平台\", \"公安备案\"), and "
        "there a title hit is all that removes it; a large number turns the exception off."))

    def input_columns(self) -> set[str]:
        # A title or URL column the recipe names must be there, as url_filter's (a misspelt one
        # would quietly turn its rule off); left at its default, absent is a source without titles.
        named = {getattr(self, f) for f in ("title_field", "url_field") if f in self.model_fields_set}
        # a dotted title (metadata.title) is read from its JSON column when no column has that name;
        # the column must be there, the key need not be (a row without it has no title)
        named = {c.partition(".")[0] if c == self.title_field and "." in c else c for c in named}
        return super().input_columns() | named

    def check_recipe(self, recipe, stage_id: str) -> None:
        unknown = [n for n in self.lists if not (LIST_DIR / f"{n}.txt").is_file()]
        if unknown:
            known = sorted(p.stem for p in LIST_DIR.glob("*.txt") if not p.stem.endswith("_report_words"))
            raise ValueError(f"lists: no built-in list {', '.join(map(repr, unknown))}; built-in: {', '.join(known)}")
        check_files_exist("extra_list_files", self.extra_list_files)
        check_files_exist("report_words_file", self.report_words_file)
        check_files_exist("more_report_words_files", self.more_report_words_files)

    def setup(self) -> None:
        files = [LIST_DIR / f"{n}.txt" for n in self.lists] + [Path(p) for p in self.extra_list_files]
        # per category, each kind of line's phrases with their weights ("text": a plain spam phrase);
        # a phrase listed twice keeps its larger weight (only text, url, contact and field lines weigh)
        merged: dict[str, dict[str, dict[str, float]]] = {}
        for f in files:
            if not f.is_file():
                raise FileNotFoundError(f"spam_filter: block list {f} not found")
            kinds = merged.setdefault(category_of(f), {k: {} for k in ("text", *_LINE_KINDS)})
            entries = read_phrase_file(f, contact=True, topic=True, report=True, innocent=True, field=True, sells=True)
            if self.traditional_variants and f.name.startswith("zh_"):
                entries += _traditional(entries)
            for phrase, w in entries:
                kind, colon, rest = phrase.partition(":")
                if not (colon and kind in _LINE_KINDS):
                    kind, rest = "text", phrase
                kinds[kind][rest] = max(w, kinds[kind].get(rest, 0.0))
        words = [(w, 1.0) for f in [self.report_words_file, *self.more_report_words_files]
                 for w, _ in read_phrase_file(Path(f))]
        if self.traditional_variants:
            words += _traditional([(w, 1.0) for w, _ in words if not w.isascii()])
        self._report_re = re.compile("|".join(
            rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w) for w, _ in words), re.I)
        self._categories: list[_Category] = []
        for cat, kinds in merged.items():
            text_w, url_w, contact_w, topic_w, report_w, innocent_w, field_w, sells_w = (
                kinds[k] for k in ("text", "url", "contact", "topic", "report", "not", "field", "sells"))
            if not text_w and not contact_w:
                raise ValueError(f"spam_filter: category {cat!r} has no text phrases")
            url_all = {**text_w, **url_w}
            # a trade's word (患者, viagra) weighs as its field line says, a text phrase too
            contact_all = {**contact_w, **text_w, **field_w}
            # URL tokens match whole between separators; text phrases anywhere.
            url_pat = "|".join([_alternation(text_w, None)] + [rf"(?<= ){re.escape(t)}(?= )" for t in url_w])
            # On an ASCII URL (lowercased) the same search is a plain RE2 one: " token " for a token.
            url_re2 = "|".join([_alternation(text_w, None)] + [re.escape(f" {t} ") for t in url_w]) \
                if _plain_on_ascii(url_all) else None
            self._categories.append(_Category(
                cat, text_w, url_all, "(?i)" + _alternation(text_w, "re2") if text_w else None,
                re.compile(_alternation(text_w), re.I) if text_w else None,
                re.compile(url_pat, re.I) if url_all else None, url_re2 if url_all else None,
                contact_all, "(?i)" + _alternation(contact_all, "re2"),
                re.compile(_alternation(topic_w), re.I) if topic_w else None,
                re.compile(_alternation(report_w), re.I) if report_w else None,
                re.compile(_alternation(innocent_w), re.I) if innocent_w else None, frozenset(field_w),
                re.compile(_alternation(sells_w), re.I) if sells_w else None))
        self._by_name = {c.name: c for c in self._categories}

    def _column(self, batch: pa.Table, name: str) -> pa.Array:
        if name in batch.column_names:
            return batch.column(name).combine_chunks().cast(pa.string())
        return pa.nulls(batch.num_rows, pa.string())

    def _title_column(self, batch: pa.Table) -> pa.Array:
        """The title column; else a dotted name's key in a JSON column (`metadata.title`), or, left
        at the default, the metadata's `title`: JSONL and Parquet readers keep a source's fields
        other than the core ones in the metadata JSON (pipeline/documents.py), CCNet rows' title too."""
        name = self.title_field
        if name in batch.column_names:
            return self._column(batch, name)
        column, _, path = name.partition(".")
        if not path and "title_field" not in self.model_fields_set:
            column, path = "metadata", name
        if not path or column not in batch.column_names:
            return pa.nulls(batch.num_rows, pa.string())
        values = json_path_values(batch.column(column), path.split("."))
        return pa.array([v if isinstance(v, str) else None for v in values], pa.string())

    def judge(self, batch: pa.Table) -> Judgement:
        n = batch.num_rows
        texts = batch.column(self.text_field)
        length = pc.utf8_length(texts).fill_null(0).to_numpy(zero_copy_only=False).astype(np.float64)
        title_col = self._title_column(batch)
        titles = title_col.to_pylist()
        url_col = self._column(batch, self.url_field)
        has_url = url_col.null_count < len(url_col)
        raw_urls = url_col.to_pylist() if has_url else [None] * n
        urls = [_url_text(u) for u in raw_urls]
        url_arr = pa.array(urls, pa.string())
        ascii_url = pc.fill_null(pc.string_is_ascii(url_arr), False).to_numpy(zero_copy_only=False)
        other_urls = np.flatnonzero(~ascii_url & pc.is_valid(url_arr).to_numpy(zero_copy_only=False))
        # Texts and titles in one array: Arrow compiles a pattern at every call (~0.3 ms for a
        # category's alternation, ~5 ms a shard in all), so each category's is compiled once.
        text_arr = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
        texts_and_titles = pa.concat_arrays([text_arr, title_col.cast(text_arr.type)])
        best_matches = np.zeros(n, dtype=np.int64)
        best_score = np.zeros(n, dtype=np.float64)
        removed_score = np.zeros(n, dtype=np.float64)
        reports: dict[int, int] = {}             # row -> different report words in its text (asked lazily)
        reasons: list[str | None] = [None] * n
        signals: list[str | None] = [None] * n
        values = None
        for cat in self._categories:
            if cat.re2 is None:
                continue
            found = pc.count_substring_regex(texts_and_titles, cat.re2).fill_null(0).to_numpy(zero_copy_only=False)
            hits, title_hit = found[:n].astype(np.int64), found[n:] > 0
            best_matches = np.maximum(best_matches, hits)
            dense = (hits >= self.min_matches) & (
                hits * 1000.0 >= self.min_matches_per_1k_chars * np.maximum(length, 1))
            # one phrase this often needs this many matches of the category in all (cheap pre-check)
            repeated = (hits >= self.repeat_min_matches) & (
                hits * 1000.0 >= self.repeat_min_per_1k_chars * np.maximum(length, 1)) \
                if self.repeat_min_matches is not None else np.zeros(n, bool)
            url_hit = self._url_hits(cat, urls, url_arr, ascii_url, other_urls) if has_url else np.zeros(n, bool)
            for i in np.flatnonzero(dense | repeated | title_hit | url_hit):
                if values is None:
                    values = texts.to_pylist()
                text = cat.clean(values[i])
                is_dense, is_repeated, n_hits = bool(dense[i]), bool(repeated[i]), int(hits[i])
                if text is not values[i]:       # numerals, masks, innocent names blanked: count again
                    n_hits = len(cat.text_re.findall(text))
                    rate = n_hits * 1000.0 / max(length[i], 1)
                    is_dense = n_hits >= self.min_matches and rate >= self.min_matches_per_1k_chars
                    is_repeated = is_repeated and n_hits >= self.repeat_min_matches and \
                        rate >= self.repeat_min_per_1k_chars
                in_title = cat.distinct(cat.text_re, cat.clean(titles[i]), cat.weights)
                in_url = cat.distinct(cat.url_re, urls[i], cat.url_weights)
                in_host = cat.distinct(cat.url_re, _url_text(_host(raw_urls[i])), cat.url_weights) \
                    if in_url else {}
                if in_url and titles[i]:
                    # A site's URL path repeats its title (/wiki/Super_Bowl_XXX, /what-is-a-payday-loan):
                    # one piece of evidence, counted in the title. The host is the site's own name.
                    heading = _url_text(titles[i])
                    in_url = {p: w for p, w in in_url.items() if p in in_host or not _contains(heading, p)}
                in_text = cat.distinct(cat.text_re, text, cat.weights) if n_hits else {}
                # a title that asks or defines names what the page explains: its phrases weigh as the text's
                asks = bool(in_title) and _asks(titles[i])
                parts = {"title": (1.0 if asks else self.title_weight) * sum(in_title.values()),
                         "url": self.url_weight * sum(in_url.values()),
                         "text": float(sum(in_text.values()))}
                score = sum(parts.values())
                best_score[i] = max(best_score[i], score)
                if reasons[i] is not None and score <= removed_score[i]:
                    continue        # removed already, by a category that scored higher
                # a phrase weighing under 1 (a word of ordinary pages too: a bank's "minimum deposit",
                # a sports desk's "betting odds") counts that much of a different phrase
                text_spam = is_dense and sum(min(w, 1.0) for w in in_text.values()) >= self.min_distinct and \
                    not self._report(i, values, reports, self.report_min_distinct, cat)
                page_spam = bool((in_title and not asks) or in_url) and score >= self.min_score
                if page_spam and self._report(i, values, reports, self.report_title_min_distinct, cat) \
                        and cat.named_in(text):
                    # A report about the activity (its body names it): the headline and the URL's
                    # slug are the story's own words; only the host (a spammer's) still counts.
                    page_spam = bool(in_host)
                repeat_spam = False
                if is_repeated and not (text_spam or page_spam):
                    # a parasite page: one target phrase glued onto scraped sentences
                    top, k = cat.top_phrase(text)
                    # kept when the text names the activity in its own words (a page about
                    # baccarat or Macau's casinos does; scraped sentences do not); and one phrase
                    # however often is what any page about the thing (Hardcore punk, 出入境办证大厅)
                    # looks like: it goes with evidence that it was put in (a stuffed title, spaced-out
                    # keywords) or a spammer's host
                    repeat_spam = k >= self.repeat_min_matches and \
                        k * 1000.0 >= self.repeat_min_per_1k_chars * max(length[i], 1) and \
                        not cat.named_in(text) and (bool(in_host) or cat.put_in(top, titles[i], text))
                if text_spam or page_spam or repeat_spam:
                    removed_score[i] = score
                    where = max(("title", "url", "text"), key=lambda k: (parts[k], k == "title"))
                    if text_spam and not page_spam:
                        where = "text"
                    elif repeat_spam:
                        where = "repeat"
                    reasons[i] = f"{cat.name}_{where}"
                    found = [f"{k}[{','.join(sorted(v))}]" for k, v in
                             (("title", in_title), ("url", in_url), ("text", in_text)) if v]
                    if repeat_spam:
                        found.append(f"repeat[{top}x{k}]")
                    signals[i] = f"{cat.name}: {' '.join(found)} text_matches={n_hits} score={score:g}"
        contact_score = np.zeros(len(reasons), dtype=np.float32)
        if self.contact_min_score is not None:
            self._contact_rule(text_arr, reasons, signals, contact_score)
        return Judgement(reasons, {"spam_matches": pa.array(best_matches, pa.int32()),
                                   "spam_score": pa.array(best_score, pa.float32()),
                                   "spam_contact_score": pa.array(contact_score, pa.float32()),
                                   "spam_signal": pa.array(signals, pa.string())})

    def _contact_rule(self, text_arr: pa.Array, reasons: list, signals: list, contact_score: np.ndarray) -> None:
        """Rows not yet removed whose text gives a contact handle and, in one category, phrases
        (its text phrases, its contact-only ones and its trade's `field:` words; these alone only
        beside a person's handle and dense; its `not:` phrases blanked) weighing `contact_min_score`;
        not reports.
        `contact_score` gets the weight of the rows it removes (the report's histogram of
        `spam_contact_score` then shows why they went: their `spam_score` is the other rules')."""
        maybe = pc.fill_null(pc.match_substring_regex(text_arr, _CONTACT_PREFILTER), False).to_numpy(
            zero_copy_only=False)
        rows = [int(i) for i in np.flatnonzero(maybe) if reasons[i] is None]
        if not rows:
            return
        texts = text_arr.take(pa.array(rows, pa.int64()))
        # What each row sells first (RE2 over the rows, then Python on the hits), the handles only
        # where that reaches the score: Python's CONTACT_RE costs ~2 ms a 5 KB page, and a third of
        # English pages pass the pre-filter ("phone", "line").
        best: dict[int, tuple[str, float, dict]] = {}
        trade_only: dict[int, tuple[str, float, dict]] = {}    # the weight held by a trade's words alone
        folded: dict[int, str] = {}                # a row's text, casefolded once for every category
        for cat in self._categories:
            # RE2 says which texts hold any of the category's phrases; Python lists which ones (every
            # phrase held counts once, overlapping ones too, as in a title)
            hit = pc.fill_null(pc.match_substring_regex(texts, cat.contact_re2), False).to_numpy(zero_copy_only=False)
            for k in np.flatnonzero(hit):
                if k not in folded:
                    folded[k] = texts[int(k)].as_py().casefold()
                text = cat.without_innocent(folded[k])
                found = {p: w for p, w in cat.contact_weights.items() if _contains(text, p)}
                score = sum(found.values())
                if score < self.contact_min_score:
                    continue
                # the trade's own words (a hospital's 患者, a pharmacy's viagra) are an ad beside a word of
                # the ad's own, else only beside a person's handle (below)
                into = best if any(p not in cat.field_words for p in found) else trade_only
                if k not in into or score > into[k][1]:
                    into[k] = (cat.name, score, found)
        for k, (name, score, found) in trade_only.items():
            # a hospital, a pharmacy, a law firm print them beside their landline or 400 number (a
            # lawyer's mobile too); a WeChat, a QQ or a mobile with no institution named is a person
            # selling what they list (小额贷款、信用贷款…微信：dk88888; 祛斑美白，中药调理…加微信)
            if k in best:
                continue
            text = texts[int(k)].as_py()
            if score * TRADE_AD_CHARS >= self.contact_min_score * len(text) and personal_handles(text):
                best[k] = (name, score, found)
        for k, (name, score, found) in best.items():
            text = texts[int(k)].as_py()
            if not (handles := contact_handles(text)) or self._is_report(text, self._by_name[name]):
                continue
            i = rows[int(k)]
            reasons[i] = f"{name}_contact"
            contact_score[i] = score
            signals[i] = (f"{name}: contact[{','.join(handles[:3])}] text[{','.join(sorted(found))}] "
                          f"score={score:g}")

    def _report(self, i: int, values: list, cache: dict[int, int], need: int, cat: _Category) -> bool:
        """Whether row i's text has `need` different report words (counted up to the larger bar),
        the category's own (`report:` lines) counting too."""
        if i not in cache:
            cache[i] = self._report_words(values[i] or "",
                                          max(self.report_min_distinct, self.report_title_min_distinct))
        if cache[i] >= need or cat.report_re is None or cat.sells(values[i]):
            return cache[i] >= need
        own = {m.casefold() for m in cat.report_re.findall(values[i] or "")}
        return cache[i] + len(own) >= need

    def _report_words(self, text: str, stop: int) -> int:
        """Different report words in a text, counted up to `stop`. Not in the line every Chinese
        site's footer carries (违法和不良信息举报: 违法 and 举报, two report words by themselves)."""
        if "不良" in text:
            text = _FOOTER_REPORT_LINE.sub(" ", text)
        found = set()
        for m in self._report_re.finditer(text):
            found.add(m.group().casefold())
            if len(found) >= stop:
                break
        return len(found)

    def _is_report(self, text: str, cat: _Category) -> bool:
        own = len({m.casefold() for m in cat.report_re.findall(text)}) \
            if cat.report_re is not None and not cat.sells(text) else 0
        return self._report_words(text, self.report_min_distinct) + own >= self.report_min_distinct

    @staticmethod
    def _url_hits(cat: _Category, urls: list[str | None], url_arr: pa.Array, ascii_url: np.ndarray,
                  other_urls: np.ndarray) -> np.ndarray:
        """Rows whose URL has one of the category's phrases or tokens: RE2 over the ASCII URLs
        when that is the same search (a Python search of the long alternation costs ~40 µs a
        URL), Python's for the others."""
        if cat.url_re2 is None:
            return np.array([bool(u) and cat.url_re.search(u) is not None for u in urls], bool)
        hit = pc.fill_null(pc.match_substring_regex(url_arr, cat.url_re2), False).to_numpy(zero_copy_only=False) \
            & ascii_url
        for i in other_urls:
            hit[i] = cat.url_re.search(urls[i]) is not None
        return hit
