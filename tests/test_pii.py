"""pii: positives are redacted with typed placeholders; look-alikes stay unchanged."""
from __future__ import annotations

import random
import re

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from pipeline.documents import documents_table
from stages.pii import PIIRedactor

POSITIVES = [
    ("Contact john.doe@example.com now", "Contact <EMAIL> now", "email"),
    ("邮箱abc123@qq.com联系我们", "邮箱<EMAIL>联系我们", "email"),
    ("Mail First.Last+tag@sub.mail-host.co.uk.", "Mail <EMAIL>.", "email"),
    ("server at 8.8.8.8.", "server at <IP_ADDRESS>.", "ip"),
    ("服务器地址114.114.114.114已停用", "服务器地址<IP_ADDRESS>已停用", "ip"),
    ("IPv6 2001:4860:4860::8888 works", "IPv6 <IP_ADDRESS> works", "ip"),
    ("Call +44 20 7946 0958 today", "Call <PHONE> today", "phone"),
    ("Call (415) 555-2671", "Call <PHONE>", "phone"),
    ("call 415-555-2671.", "call <PHONE>.", "phone"),
    ("reach me at 1-800-555-0199", "reach me at <PHONE>", "phone"),
    ("+1 415 555 2671", "<PHONE>", "phone"),
    ("手机13812345678联系", "手机<PHONE>联系", "phone"),
    ("电话 138 1234 5678", "电话 <PHONE>", "phone"),
    ("+86 138-1234-5678", "<PHONE>", "phone"),
    ("电话：010-62345678", "电话：<PHONE>", "phone"),
    ("write to john_@example.com", "write to <EMAIL>", "email"),       # no letter or digit before "@"
    ("call (415)555-2671 now", "call <PHONE> now", "phone"),           # no separator after ")"
]

NEGATIVES = [
    "version 1.2.3.4 released", "Version: 10.0.19041.1", "v1.2.3.4", "版本 2.3.4.5 发布",
    "on 2024-01-15 and 15.01.2024 and 2024/01/15", "ISBN 978-3-16-148410-0", "ISBN 0-306-40615-2",
    "price $1,234.56 or 1234.56 or ¥12,345", "at 12:30:45 today", "years 1990-2000 and 1990–2000",
    "local 192.168.1.1 and 10.0.0.1 and 127.0.0.1 and 172.16.0.5", "docs use 192.0.2.1 and 2001:db8::1",
    "std::vector<int> and a::b::c", "MAC 00:1A:2B:3C:4D:5E", "icon@2x.png and logo@3x.jpg",
    "order 20240115123456", "pi is 3.14159", "1.2.3.4.5", "call 123-456-7890", "ratio 16:9",
    "timestamp 1700000000", "ip 256.1.1.1", "::1 localhost", "+5 points", "score 3-2-1", "user@localhost",
    "订单号138123456789012", "GDP增长6.9%，达到82.7万亿元", "@twitter_handle", "fe80::1 link-local",
]


@pytest.mark.parametrize("text,expected,kind", POSITIVES)
def test_positives_are_redacted(text, expected, kind):
    new, found = PIIRedactor().redact(text)
    assert new == expected
    assert found[kind] == 1 and sum(found.values()) == 1


@pytest.mark.parametrize("text", NEGATIVES)
def test_look_alikes_are_unchanged(text):
    new, found = PIIRedactor().redact(text)
    assert new == text and sum(found.values()) == 0


def test_stage_counts_and_options():
    texts = [t for t, _, _ in POSITIVES] + NEGATIVES + [None]
    table = documents_table([{"id": str(i), "source": "t", "text": t} for i, t in enumerate(texts)])
    res = PIIRedactor()(table)
    assert res.kept.num_rows == len(texts) and res.removed is None
    assert res.kept.column("text").to_pylist() == [e for _, e, _ in POSITIVES] + NEGATIVES + [None]
    # (the two new kinds are counted too, at zero here)
    # (through the batch screens, which must let every positive through: a screen that misses a
    # row leaves its PII in place)
    assert res.counters == {"redacted_email": 4, "redacted_ip": 3, "redacted_phone": 10,
                            "redacted_id_number": 0, "redacted_bank_card": 0,
                            "redacted_iban": 0, "pii_documents": len(POSITIVES)}
    private = PIIRedactor(redact_non_public_ips=True, ip_placeholder="[IP]", phone=False)
    new, found = private.redact("local 192.168.1.1 call 415-555-2671")
    assert new == "local [IP] call 415-555-2671" and found["ip"] == 1


def test_no_candidates_fast_path():
    table = documents_table([{"id": "1", "source": "t", "text": "nothing personal here"}])
    res = PIIRedactor()(table)
    assert res.kept.equals(table) and res.counters["pii_documents"] == 0
    assert isinstance(res.kept.column("text").type, pa.DataType)


# --- Chinese ID numbers, bank cards, landlines, public IPv4 (synthetic formats; test numbers) -------
# 11010519491231002X is the worked example of GB 11643-1999; the cards are the issuers' published
# test numbers (Visa 4242..., Mastercard 5555...4444, Amex 3782..., UnionPay 6200...0005 and 19 digits).
NEW_POSITIVES = [
    ("身份证号：11010519491231002X。", "身份证号：<ID_NUMBER>。", "id_number"),
    ("身份证 11010519491231002x 已登记", "身份证 <ID_NUMBER> 已登记", "id_number"),
    ("卡号：6200000000000005", "卡号：<BANK_CARD>", "bank_card"),
    ("银行卡号6205500000000000004，户名张三", "银行卡号<BANK_CARD>，户名张三", "bank_card"),
    ("pay with card 4242 4242 4242 4242 today", "pay with card <BANK_CARD> today", "bank_card"),
    ("Mastercard 5555-5555-5555-4444", "Mastercard <BANK_CARD>", "bank_card"),
    ("amex card number: 378282246310005", "amex card number: <BANK_CARD>", "bank_card"),
    ("咨询电话：010-12345678", "咨询电话：<PHONE>", "phone"),
    ("电话(0755)12345678转总机", "电话<PHONE>转总机", "phone"),
    ("电话（0571）8888888", "电话<PHONE>", "phone"),
    ("联系 0755 12345678", "联系 <PHONE>", "phone"),
    ("from abroad +86 10 12345678", "from abroad <PHONE>", "phone"),
    ("お問い合わせ：03-1234-5678まで", "お問い合わせ：<PHONE>まで", "phone"),
    ("携帯 090-1234-5678", "携帯 <PHONE>", "phone"),
    ("鎌倉 0467-12-3456", "鎌倉 <PHONE>", "phone"),
    ("문의: 010-1234-5678", "문의: <PHONE>", "phone"),
    ("서울 02-3456-7890 로 연락", "서울 <PHONE> 로 연락", "phone"),
    ("Телефон: 8 (495) 123-45-67.", "Телефон: <PHONE>.", "phone"),
    ("Google DNS 8.8.4.4 and 1.1.1.1", "Google DNS <IP_ADDRESS> and <IP_ADDRESS>", "ip"),
    ("set dev 8.8.4.4 as resolver", "set dev <IP_ADDRESS> as resolver", "ip"),
]

NEW_NEGATIVES = [
    "身份证号110105194912310021",          # wrong check character
    "编号110105194913310028",              # month 13: not a date
    "订单号：2023051812345678901，请保存", "快递单号 773012345678901", "order #4242424242424241",
    "4242424242424242 is just a number here",  # no card word before a bare digit run
    "ISBN 978-7-111-12345-6", "ISBN 9787111123456", "2023年5月18日10时30分", "2023-05-18 10:30:00",
    "版本 10.0.19041.1", "v8.8.4.4", "version 8.8.4.4", "192.168.1.1 and 10.1.2.3 and 169.254.1.1",
    "127.0.0.1 and 192.0.2.55 and 198.51.100.7 and 203.0.113.9", "GDP 1234 5678 亿元",
    "邮编100871", "1990-2000年间", "价格 0755-1", "第010-12号文件",
    "01-02-2024 に開催", "05-12-2023", "ISBN 0-306-40615-2", "2024-01-15", "第8 (2023) 号", "0-12-3456 cm",
]


@pytest.mark.parametrize("text,expected,kind", NEW_POSITIVES)
def test_new_kinds_are_redacted(text, expected, kind):
    new, found = PIIRedactor().redact(text)
    assert new == expected
    assert found[kind] >= 1 and sum(found.values()) == found[kind]


@pytest.mark.parametrize("text", NEW_NEGATIVES)
def test_new_look_alikes_are_unchanged(text):
    new, found = PIIRedactor().redact(text)
    assert new == text and sum(found.values()) == 0


def test_new_kinds_can_be_turned_off_and_are_counted():
    texts = [t for t, _, _ in NEW_POSITIVES]
    table = documents_table([{"id": str(i), "source": "t", "text": t} for i, t in enumerate(texts)])
    res = PIIRedactor()(table)
    assert res.counters["redacted_id_number"] == 2 and res.counters["redacted_bank_card"] == 5
    off = PIIRedactor(id_number=False, bank_card=False)
    assert off.redact("身份证号：11010519491231002X，卡号：6200000000000005")[1] == dict.fromkeys(
        ("email", "ip", "phone", "id_number", "bank_card", "iban"), 0)


def test_few_matches_on_clean_real_text(shared_data):
    """False positives on real clean text: CLUE web documents and the gold news articles hold
    dates, prices, order and version numbers; none of them may look like an ID or a card. What is
    found are the pages' contact phone numbers and e-mails (checked by reading them: 32 phones,
    4 e-mails at the time of writing, the Japanese / Korean / Taiwanese formats adding only a
    Seoul theatre's inquiry line, 02-751-1500, twice), so every phone match must have a phone's
    10-12 digits - a date, a year range or a price would have fewer - or the 9 of a Seoul or
    Taiwanese number (02-123-4567), or the 7-8 of a local number right after a phone label
    (游客咨询电话：58036000: a gold page lists 50 of them)."""
    import gzip
    from bench.gold import cjk_articles, english_articles
    with gzip.open(shared_data / "zh/text/CLUECorpusSmall_sampled.txt.gz", "rt", encoding="utf-8") as f:
        texts = f.read().splitlines() + cjk_articles(shared_data) + english_articles(shared_data)
    matches: list = []
    stage = PIIRedactor()
    for t in texts:
        stage.redact(t, matches)
    kinds = {k for k, _ in matches}
    assert kinds <= {"phone", "email"}, matches
    for kind, found in matches:
        if kind == "phone":
            assert 10 <= sum(c.isdigit() for c in found) <= 12 or re.fullmatch(r"0[2-8]-\d{3}-\d{4}", found) \
                or re.fullmatch(r"[2-9]\d{6,7}(?:-\d{1,4})?|[2-9]\d{3} \d{4}", found), found   # 电话：58036000
        else:
            assert "@" in found


@pytest.mark.parametrize("text, expected", [
    # code (numpy, requests, urllib3): slices, reST literal markers and versions are no addresses
    ("x = sample[1::2] and words[1::] and y[::2]", "x = sample[1::2] and words[1::] and y[::2]"),
    ("this is to be:: and a::b and c::", "this is to be:: and a::b and c::"),
    ('__version__ = "3.5.0.1"; brotlicffi>=1.2.0.0; RFC 9110 section 8.4.1.3',
     '__version__ = "3.5.0.1"; brotlicffi>=1.2.0.0; RFC 9110 section 8.4.1.3'),
    ("resolver 2606:4700::1111 or 2001:4860:4860::8888", "resolver <IP_ADDRESS> or <IP_ADDRESS>"),
    ("'+1980-02-29 01:02:03'", "'+1980-02-29 01:02:03'"),
    ("总市值13500000000元，涨幅13800000000%", "总市值13500000000元，涨幅13800000000%"),
    # extensions, international prefixes and Chinese service numbers as real pages write them
    ("call 415-555-2671x123 or 001-415-555-2671", "call <PHONE> or <PHONE>"),
    ("电话010-62176655-6738，客服400-6060-995、4008880810、800-820-8820", "电话<PHONE>，客服<PHONE>、<PHONE>、<PHONE>"),
    ("(+86)13812345678 或 0086 13812345678", "<PHONE> 或 <PHONE>"),
])
def test_formats_real_pages_and_code_hold(text, expected):
    """Found on held-out text (THUCNews, presidio's samples, numpy's sources): no PII read into
    code or amounts, and the phone formats Chinese pages use."""
    assert PIIRedactor().redact(text)[0] == expected


@pytest.mark.parametrize("text", [
    "规格的22.1.3.15小节定义了数组的map方法。",      # es6 tutorial: the unit after the number
    "参见 GB/T 7714 的 4.2.1.3 条。",
    "依据合同第三部分 3.1.2.1款 与 5.4.3.2 项执行",
    "详见 12.3.4.5 章和 12.3.4.6　段", "本手册 2.10.3.1 版起生效",
    "详见标准第 22.1.3.15 节。", "see section 22.1.3.15 of the spec.",   # the unit before, as before
])
def test_section_numbers_before_a_chinese_unit_are_kept(text):
    """Chinese puts the section unit after the number (规格的22.1.3.15小节); these dotted numbers
    are section numbers, not addresses, even when they would be routable ones."""
    for stage in (PIIRedactor(), PIIRedactor(redact_non_public_ips=True)):
        assert stage.redact(text) == (text, dict.fromkeys(("email", "ip", "phone", "id_number", "bank_card", "iban"), 0))


@pytest.mark.parametrize("text, expected, non_public", [
    ("服务器地址是 192.168.1.1，端口 8080", "服务器地址是 <IP_ADDRESS>，端口 8080", True),
    ("IP：10.0.0.1", "IP：<IP_ADDRESS>", True),
    ("服务器地址是 202.96.134.133，端口 53", "服务器地址是 <IP_ADDRESS>，端口 53", False),
    ("IP：114.114.114.114", "IP：<IP_ADDRESS>", False),
    ("请连接 8.8.8.8节点后重试", "请连接 <IP_ADDRESS>节点后重试", False),   # 节点 (node) is no section unit
])
def test_addresses_in_chinese_text_are_still_redacted(text, expected, non_public):
    assert PIIRedactor(redact_non_public_ips=non_public).redact(text)[0] == expected


# --- CJK formats: full-width forms, Japanese / Korean / Taiwanese phones, 15-digit ID numbers ------
# (a CJK probe found them all passing; the numbers are made up, 110105491231002 is the 15-digit form
# of GB 11643's worked example)
CJK_POSITIVES = [
    # full-width ＠ and ． (chinese_clean folds letters and digits, not this punctuation)
    ("邮箱：abc＠example.com", "邮箱：<EMAIL>", "email"),
    ("メール（info＠sample．co．jp）まで", "メール（<EMAIL>）まで", "email"),
    ("邮箱：ａｂｃ＠ｅｘａｍｐｌｅ．ｃｏｍ。", "邮箱：<EMAIL>。", "email"),
    ("邮箱：abc@example．com", "邮箱：<EMAIL>", "email"),
    # full-width － and （）, digits ASCII (after chinese_clean) or not
    ("お電話（TEL：03－1234－5678）で", "お電話（TEL：<PHONE>）で", "phone"),
    ("ＴＥＬ：０３－１２３４－５６７８", "ＴＥＬ：<PHONE>", "phone"),
    ("携帯（090）1234-5678まで", "携帯<PHONE>まで", "phone"),
    ("电话：０１０－６２３４５６７８", "电话：<PHONE>", "phone"),
    ("手机：１３８１２３４５６７８", "手机：<PHONE>", "phone"),
    # Japanese: area code or local exchange in brackets, free-dial and navi-dial 4-3-3
    ("TEL（03）1234-5678", "TEL<PHONE>", "phone"),
    ("TEL (03) 1234-5678", "TEL <PHONE>", "phone"),
    ("電話：03(1234)5678", "電話：<PHONE>", "phone"),
    ("鎌倉（0467）12-3456", "鎌倉<PHONE>", "phone"),
    ("フリーダイヤル0120-123-456", "フリーダイヤル<PHONE>", "phone"),
    ("ナビダイヤル0570-123-456（有料）", "ナビダイヤル<PHONE>（有料）", "phone"),
    # Taiwan: mobiles 09XX-XXX-XXX (and spaced, and 4-6), landlines with the area code in brackets
    ("手機：0912-345-678", "手機：<PHONE>", "phone"),
    ("手機 0912 345 678 歡迎來電", "手機 <PHONE> 歡迎來電", "phone"),
    ("行動電話0912-345678", "行動電話<PHONE>", "phone"),
    ("電話：(02)2345-6789", "電話：<PHONE>", "phone"),
    ("電話：02-2345-6789", "電話：<PHONE>", "phone"),
    ("高雄市話（07）123-4567", "高雄市話<PHONE>", "phone"),
    # Korea: Seoul's 9 digits, dots
    ("문의: 02-123-4567", "문의: <PHONE>", "phone"),
    ("010.1234.5678로 연락", "<PHONE>로 연락", "phone"),
    ("서울 02.123.4567", "서울 <PHONE>", "phone"),
    # old 15-digit resident ID numbers (GB 11643-1989), also written full-width
    ("旧身份证号110105491231002。", "旧身份证号<ID_NUMBER>。", "id_number"),
    ("身份证：440301850615123，男", "身份证：<ID_NUMBER>，男", "id_number"),
    ("身份证１１０１０５４９１２３１００２", "身份证<ID_NUMBER>", "id_number"),
    ("生于闰日 110105960229002", "生于闰日 <ID_NUMBER>", "id_number"),
    # a 15-digit Amex after a card word is a card, even when it reads as an old ID
    ("card number: 370102850615127", "card number: <BANK_CARD>", "bank_card"),
]

CJK_NEGATIVES = [
    # 15 digits that are no ID: no issued province (99, 71, 20, 77), no date (month 13, 30 Feb,
    # 29 Feb 1900), 16 digits, after an order / waybill / IMEI / registration label, in a URL
    "编号 990105491231002", "编号 710105491231002", "时间 201905201234567", "快递单号 773012345678901",
    "编号 110105491331002", "编号 110105490230002", "编号 110105000229002", "1101054912310021",
    "订单号：110105491231002", "运单号 440301850615123", "IMEI 351234850615123", "注册号：440301850615123",
    "https://example.com/item/110105491231002.html", "?id=440301850615123",
    # dates, in any width and with dots
    "01-02-2024 に開催", "０１－０２－２０２４", "２０２４－０１－１５", "2024.05.20 발표", "03.05.2024", "01.02.2024",
    # year ranges after a bracketed or plain 2-digit number, a stock code and a year range
    "(02) 2019-2020 season", "02-2019-2020年", "腾讯控股（00700）2023-2024年", "平安银行(000001)股价",
    # ISBN groups and check characters after a phone's shape
    "02-123-4567-X", "0912-345-678-9", "ISBN 0-12-345678-9", "ISBN 0912-345-678",
    # 9 digits in another shape than 2-3-4 under 02-08; 4-3-3 under another prefix
    "01-123-4567", "09-123-4567", "021-12-3456", "0123-456-789", "0800-123-456", "0312-345-678", "1234-567-890",
    # part, model and serial numbers in a phone's shape
    "型号：0912-345-678", "品番 0120-123-456", "Part No. 02-123-4567", "SKU 010.1234.5678",
    "序列号 0571-8888888-12", "型号：138-1234-5678A",
    # versions, prices, handles in full width
    "version 010.1234.5678", "ｖ１．２．３．４", "版本１．２．３．４", "1個＠100円", "＠twitter_handle",
    "售价１２，８００元", "〒100-0001 東京都千代田区", "고객센터 1588-1234",
]


@pytest.mark.parametrize("text,expected,kind", CJK_POSITIVES)
def test_cjk_formats_are_redacted(text, expected, kind):
    matches: list = []
    new, found = PIIRedactor().redact(text, matches)
    assert new == expected
    assert found[kind] == 1 and sum(found.values()) == 1
    # the match is recorded as written (full-width and all), and is the text that was replaced
    (k, original), = matches
    assert k == kind and text.replace(original, {"email": "<EMAIL>", "phone": "<PHONE>", "id_number": "<ID_NUMBER>",
                                                  "bank_card": "<BANK_CARD>"}[kind], 1) == expected


@pytest.mark.parametrize("text", CJK_NEGATIVES)
def test_cjk_look_alikes_are_unchanged(text):
    new, found = PIIRedactor().redact(text)
    assert new == text and sum(found.values()) == 0


def test_cjk_formats_through_the_batch_screens():
    """The RE2 screen decides which rows the Python patterns see: every new format, full-width
    spellings included, must get through it (a row it rejects keeps its PII), and the look-alikes
    come out unchanged."""
    texts = [t for t, _, _ in CJK_POSITIVES] + CJK_NEGATIVES
    table = documents_table([{"id": str(i), "source": "t", "text": t} for i, t in enumerate(texts)])
    res = PIIRedactor()(table)
    assert res.kept.column("text").to_pylist() == [e for _, e, _ in CJK_POSITIVES] + CJK_NEGATIVES
    kinds = [k for _, _, k in CJK_POSITIVES]
    assert res.counters == {"redacted_email": kinds.count("email"), "redacted_ip": 0,
                            "redacted_phone": kinds.count("phone"), "redacted_id_number": kinds.count("id_number"),
                            "redacted_bank_card": kinds.count("bank_card"), "redacted_iban": 0,
                            "pii_documents": len(CJK_POSITIVES)}
    # each positive alone, so no other row's screen match can let it through
    for text, expected, _ in CJK_POSITIVES:
        one = documents_table([{"id": "1", "source": "t", "text": text}])
        assert PIIRedactor()(one).kept.column("text").to_pylist() == [expected], text


def test_full_width_text_outside_the_match_is_kept_exactly():
    """The patterns read the folded text; the replacement is made in the original, so every
    full-width character outside a replaced span stays as it was written."""
    text = "ＴＥＬ：０３－１２３４－５６７８，Ｍａｉｌ：ａｂｃ＠ｅｘａｍｐｌｅ．ｃｏｍ（山田）；ＩＰ：８．８．８．８！ＩＤ：１１０１０５４９１２３１００２"
    new, found = PIIRedactor().redact(text)
    assert new == "ＴＥＬ：<PHONE>，Ｍａｉｌ：<EMAIL>（山田）；ＩＰ：<IP_ADDRESS>！ＩＤ：<ID_NUMBER>"
    assert found == {"email": 1, "ip": 1, "phone": 1, "id_number": 1, "bank_card": 0, "iban": 0}
    table = documents_table([{"id": "1", "source": "t", "text": text}])
    assert PIIRedactor()(table).kept.column("text").to_pylist() == [new]


def test_widened_screens_read_full_width_as_the_patterns_do():
    """`_widen(S)` must match a text exactly when the ASCII screen S matches the folded text (else
    a full-width row is screened out, or the screen lets most rows through)."""
    from stages.pii_patterns import _SCREEN, _SCREEN_ASCII, fold_width
    rng = random.Random(0)
    shapes = ["a.b@c.de", "8.8.4.4", "2001:db8::1", "+44 20 7946 0958", "(415) 555-2671", "138 1234 5678",
              "(0755)12345678", "03-1234-5678", "010.1234.5678", "(03)1234-5678", "03(1234)5678", "0120-123-456",
              "0912 345 678", "8 (495) 123-45-67", "110105491231002", "11010519491231002X", "4242 4242 4242 4242",
              "DE89 3704 0044 0532 0130 00", "NL91ABNA0417164300", "Tel. 089 12345678", "0049 30 12345678",
              "jörg@bäckerei.de", "090 1234 5678", "電話 03 1234 5678", "携帯番号：0467-12-3456"]
    noise = "0123456789-.()+@: aZx"

    def widen_some(t: str) -> str:   # each character full-width or not, at random
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and rng.random() < 0.4 else c for c in t)

    def dash_some(t: str) -> str:    # a "-" between two digits as one of the dashes Japanese pages write
        return re.sub(r"(?<=\d)-(?=\d)", lambda m: rng.choice("-ー−‐‑‒–ｰ"), t)
    hits = dict.fromkeys(_SCREEN, 0)
    for _ in range(4000):
        t = rng.choice(shapes) if rng.random() < 0.7 else "".join(rng.choice(noise) for _ in range(rng.randint(5, 24)))
        t = widen_some(dash_some(t[:rng.randint(len(t) // 2, len(t))] + rng.choice(["", "中", "，", "）", "（"])))
        for kind, screen in _SCREEN.items():
            wide = bool(re.search(screen, t))
            assert wide == bool(re.search(_SCREEN_ASCII[kind], fold_width(t))), (kind, t)
            hits[kind] += wide
    assert min(hits.values()) > 50, hits         # every screen was exercised
    # and RE2 (Arrow) reads the widened screens as Python does
    samples = ["abc＠example．com", "03－1234－5678", "０３－１２３４－５６７８", "（090）1234-5678", "１１０１０５４９１２３１００２",
               "090ー1234ー5678", "03‐1234‐5678", "電話 03 1234 5678", "090 1234 5678"]
    for kind, screen in _SCREEN.items():
        got = pc.match_substring_regex(pa.array(samples), screen).to_pylist()
        assert got == [bool(re.search(screen, s)) for s in samples], kind


# -- US Social Security numbers ---------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("My SSN is 123-45-6789, keep it safe.", "My SSN is <ID_NUMBER>, keep it safe."),
    ("SSN: 123456789.", "SSN: <ID_NUMBER>."),
    ("Social Security Number 078 05 1120", "Social Security Number <ID_NUMBER>"),
    ("ss# 219-09-9999", "ss# <ID_NUMBER>"),
    ("SSN 078-05-1120", "SSN <ID_NUMBER>"),
    ("ＳＳＮ １２３－４５－６７８９", "ＳＳＮ <ID_NUMBER>"),
])
def test_us_social_security_numbers_are_redacted(text, expected):
    new, found = PIIRedactor().redact(text)
    assert new == expected and found["id_number"] == 1 and sum(found.values()) == 1


@pytest.mark.parametrize("text", [
    "000-12-3456", "666-12-3456", "923-45-6789", "123-00-4567", "123-45-0000",   # never issued
    "order 123-45-6789-1", "ISBN 123-45-6789", "Part No. 123-45-6789", "v1.123-45-6789",
    "random 123456789 digits", "123 45 6789 without a label", "2019-12-31",
])
def test_ssn_look_alikes_are_kept(text):
    new, found = PIIRedactor().redact(text)
    assert new == text and sum(found.values()) == 0


def test_ssn_rows_pass_the_batch_screen():
    texts = ["applicant 123-45-6789", "SSN 123456789", "nothing here"]
    res = PIIRedactor()(documents_table([{"id": str(i), "source": "t", "text": t} for i, t in enumerate(texts)]))
    assert res.kept.column("text").to_pylist() == ["applicant <ID_NUMBER>", "SSN <ID_NUMBER>", "nothing here"]
    assert res.counters["redacted_id_number"] == 2


def test_service_numbers_pass_the_batch_screen():
    """400/800 numbers were found by redact() but screened out of the stage's batch (the screen had
    no shape for them): a fuzz of 12,000 texts lost 63-75 of every 4,000, all of them these."""
    texts = ["客服电话：400-6060-995", "客服热线 4008880810 欢迎来电", "免费热线800 820 8820", "编号 40012345678901"]
    res = PIIRedactor()(documents_table([{"id": str(i), "source": "t", "text": t} for i, t in enumerate(texts)]))
    assert res.kept.column("text").to_pylist() == ["客服电话：<PHONE>", "客服热线 <PHONE> 欢迎来电", "免费热线<PHONE>",
                                                   "编号 40012345678901"]
    assert res.counters["redacted_phone"] == 3


def test_international_numbers_split_into_groups_one_way():
    """The international pattern's digit groups are possessive (a long digit run after "+" was split
    every way before failing: 60 KB took 5 s; timed outside the tests, /tmp/s21/review/pii_slow.py):
    numbers with and without separators are still found, a run too long for one is not."""
    assert sum(PIIRedactor().redact(("+1" + "2" * 30 + "a ") * 20)[1].values()) == 0
    assert PIIRedactor().redact("call +86 138 1234 5678 or +8613812345678 or +1 (415) 555-2671")[0] == \
        "call <PHONE> or <PHONE> or <PHONE>"


# -- a probe on real text (CLUE, CCNet, gold pages, wiki dumps): numbers that are no phones, IDs or
# cards, and labelled phones that were missed (/tmp/s22/pii/repro.py) ------------------------------
@pytest.mark.parametrize("text", [
    # in a URL or a file name
    "https://www.flickr.com/photos/x/16511337801/", "https://item.taobao.com/item.htm?id=15623456789",
    "[[File:ACON 2015 CIV ALG (16511337801).jpg]]", "访问 example.com/item/13812345678 查看",
    # an amount or a count after a space or a counting unit
    "GDP 13912345678 万元", "用户数 13912345678 人", "共 13812345678 次", "总投资4000000000元", "4000000000 元",
    # runs of plain numbers in a phone's shape
    "ISO 100 200 400 800 1600 3200", "Available sizes: 250 500 1000 grams", "300-500-1000 m",
    "v0.16.1 40094 32075 8019", "1, 200 400 8000, 2",
    # signed decimals
    "Location +40.7127837, -74.0059413", "x = +3.14159265", "+12.345678 C",
    # ... and a race's results table flattened to text: gap, then position, points, grid, laps
    "Rossi Yamaha +5.789 2 20 3 2 Stoner Ducati +8.347 9 16 4 5", "Lorenzo +12.678 5 13",
    # reference labels before an SSN's shape, order and licence labels before a card's groups
    "STC: Nr. 219-05-2006", "Case No. 123-45-6789", "Docket 512-34-5678", "Invoice #123-45-6789",
    "订单号：6222 0212 3456 7890 128", "License key 5123 4567 8901 2346",
    # a local number without a phone label, letters touching a number without one
    "编号：58036000", "房间 58036000", "电话12345678", "13812345678abc", "a13812345678", "Hotel13812345678",
])
def test_real_text_look_alikes_are_kept(text):
    assert PIIRedactor().redact(text) == (text, dict.fromkeys(("email", "ip", "phone", "id_number", "bank_card", "iban"), 0))


@pytest.mark.parametrize("text, expected", [
    # a local number right after a phone label and a colon
    ("游客咨询电话：58036000 备注", "游客咨询电话：<PHONE> 备注"), ("電話：2345 6789", "電話：<PHONE>"),
    ("Tel: 5803600", "Tel: <PHONE>"), ("电话：38287777-8231 备注", "电话：<PHONE> 备注"),
    ("电话号码为 2348 0103", "电话号码为 <PHONE>"), ("ＴＥＬ：５８０３６０００", "ＴＥＬ：<PHONE>"),
    # Latin letters touching a labelled number or one with an area-code dash
    ("电话:0731-88151902E-mail：x", "电话:<PHONE>E-mail：x"), ("手机13812345678QQ12345", "手机<PHONE>QQ12345"),
    ("TEL0755-12345678", "TEL<PHONE>"),
    # what the new guards must not take: neighbours that are phones, or written another way
    ("电话：029-83938886 17189008333", "电话：<PHONE> <PHONE>"), ("call 415 555 2671 415 555 2672", "call <PHONE> <PHONE>"),
    ("New York, NY 10001 212-555-1234", "New York, NY 10001 <PHONE>"), ("电话：4000988966 15、上海", "电话：<PHONE> 15、上海"),
    ("电话：0731-88151902/13812345678", "电话：<PHONE>/<PHONE>"), ("见 www.abc.com，电话：13812345678", "见 www.abc.com，电话：<PHONE>"),
    ("手机13812345678 人民路", "手机<PHONE> 人民路"), ("(212) 555-1000 or 800-820-8820", "<PHONE> or <PHONE>"),
    ("SSN No. 123-45-6789", "SSN No. <ID_NUMBER>"), ("card no. 4242 4242 4242 4242", "card no. <BANK_CARD>"),
])
def test_labelled_and_glued_phones_are_redacted(text, expected):
    assert PIIRedactor().redact(text)[0] == expected


def test_labelled_local_numbers_pass_the_batch_screen():
    texts = ["游客咨询电话：58036000", "電話：2345 6789", "电话号码为 2348 0103", "TEL0755-12345678", "编号：58036000"]
    res = PIIRedactor()(documents_table([{"id": str(i), "source": "t", "text": t} for i, t in enumerate(texts)]))
    assert res.kept.column("text").to_pylist() == ["游客咨询电话：<PHONE>", "電話：<PHONE>", "电话号码为 <PHONE>",
                                                   "TEL<PHONE>", "编号：58036000"]


# -- English / European text (a probe on 115 labelled snippets and 3,075 real documents,
# /tmp/s23/pii): signed amounts and reference numbers are no phones, version and section numbers no
# addresses; Unicode e-mail addresses, extensions, IBANs, 00 prefixes and labelled national numbers --
ZERO = dict.fromkeys(("email", "ip", "phone", "id_number", "bank_card", "iban"), 0)


@pytest.mark.parametrize("text", [
    # signed numbers: before a currency or a unit, in thousands groups, a run of round numbers, and
    # a year range after one that is not read as its last groups
    "Résultat net : +12 345 678 € en 2023.", "Umsatz: +12.345.678 EUR (+4,5 %)", "Delta +123 456 789 bytes",
    "Saldo +12.345.678", "Temperatures rose +20 30 40 50 across the sites.", "Population change +2 345 678 (2010-2020)",
    # order, invoice, case, reference and tracking numbers after English, German and French labels
    "Order No. 234-567-8901 has shipped.", "Order #: 234-567-8901", "Order number 234 567 8901",
    "Invoice No. 345-678-9012", "Invoice 345-678-9012 is overdue.", "Case No. 234-567-8901 was closed.",
    "Reference: 456 789 0123", "Tracking number: 456 789 0123", "Rechnungsnummer: 234-567-8901",
    "Kundennummer 234 567 8901", "Bestellnummer: 234-567-8901", "N° de commande : 234 567 8901", "No. 415-555-2671",
    # a 00 prefix needs a country code; a labelled number is no date or year range
    "00700 2023 2024 2025", "Telefon: 2019 2020", "Phone: 2024-03-12", "Tel. 12.03.2024",
])
def test_european_look_alikes_are_no_phones(text):
    assert PIIRedactor().redact(text) == (text, ZERO)


@pytest.mark.parametrize("text", [
    # phones that are written in thousands-like groups, after a phone word with a number word
    "+34 912 345 678", "+61 412 345 678", "+48 123 456 789", "+33 1 23 45 67 89", "Phone No. 415-555-2671",
    "Tel.-Nr.: 030 1234567",
])
def test_phones_in_thousands_groups_or_after_a_number_word_stay_phones(text):
    new, found = PIIRedactor().redact(text)
    assert new.endswith("<PHONE>") and found["phone"] == 1 and sum(found.values()) == 1


@pytest.mark.parametrize("text", [
    "Changelog\n- 1.2.3.4: fixed crash\n- 1.2.3.5: improved speed\n* 4.0.0.12 hotfix",
    "Changelog 2.0.0.1 (2023-01-01)", "see the changelog for 2.0.0.1", "Server: nginx/1.2.3.4",
    "Firmware 4.1.2.10 released", "Update to 5.4.3.2 now", "see Figure 3.2.1.4", "Table 2.1.3.1 lists them",
    "Tab. 2.1.3.1", "Kapitel 3.2.1.4", "Abschnitt 3.2.1.4", "Art. 3.2.1.4", "Abb. 3.2.1.4", "Tableau 3.2.1.4",
    "Schema 1.2.3.4 of the spec",
])
def test_version_figure_and_section_numbers_are_no_addresses(text):
    assert PIIRedactor().redact(text) == (text, ZERO)


@pytest.mark.parametrize("text, expected", [
    # logs and configs keep their addresses found
    ("resolvers:\n  - 8.8.8.8\n  - 1.1.1.1  # cloudflare", "resolvers:\n  - <IP_ADDRESS>\n  - <IP_ADDRESS>  # cloudflare"),
    ('66.249.66.1 - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1"', '<IP_ADDRESS> - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1"'),
    ("Failed password for root from 61.177.172.13 port 53422", "Failed password for root from <IP_ADDRESS> port 53422"),
    ("curl https://ipinfo.io/8.8.8.8", "curl https://ipinfo.io/<IP_ADDRESS>"),
    ("Diese muß 195.214.4.226 lauten", "Diese muß <IP_ADDRESS> lauten"),
])
def test_addresses_in_logs_and_configs_are_still_redacted(text, expected):
    assert PIIRedactor().redact(text)[0] == expected


@pytest.mark.parametrize("text, expected", [
    ("jörg.müller@firma.de", "<EMAIL>"), ("Mél : françois.dupont@exemple.fr.", "Mél : <EMAIL>."),
    ("escriba a josé@empresa.es", "escriba a <EMAIL>"), ("Kontakt: anna@bäckerei.de", "Kontakt: <EMAIL>"),
    ("Reach jane.o'connor@law-firm.com or", "Reach <EMAIL> or"), ("email = 'john@example.com'", "email = '<EMAIL>'"),
    ("邮箱abc123@qq.com联系我们", "邮箱<EMAIL>联系我们"),     # unspaced scripts may still touch an address
])
def test_unicode_email_addresses_are_redacted_whole(text, expected):
    assert PIIRedactor().redact(text)[0] == expected
    # (through the batch screen too: `é@` must get through it)
    table = documents_table([{"id": "1", "source": "t", "text": text}])
    assert PIIRedactor()(table).kept.column("text").to_pylist() == [expected]


@pytest.mark.parametrize("text, expected", [
    # extensions, any case, taken along with every kind of number
    ("+1 (415) 555-2671 x 22", "<PHONE>"), ("Call +44 20 7946 0958 ext 201", "Call <PHONE>"),
    ("Call 800-548-5757, Ext. 123.", "Call <PHONE>."), ("Call 800 548 5757 EXT 123.", "Call <PHONE>."),
    ("Call +44 (0)20 7946 0958, Durchwahl -12", "Call <PHONE>"), ("Tél. : 01 23 45 67 89 poste 201", "Tél. : <PHONE>"),
    # an SSN's shape after a phone label is a phone
    ("Phone: 536-22-1234", "Phone: <PHONE>"), ("Tel: 536-22-1234", "Tel: <PHONE>"),
    # German slash after the area code, the 00 prefix, a country code in brackets
    ("Tel.: +49 221 / 98765-0", "Tel.: <PHONE>"), ("Tel. +49 (0) 89 / 12 34 56", "Tel. <PHONE>"),
    ("Tel. 0049 30 12345678", "Tel. <PHONE>"), ("0033 1 23 45 67 89", "<PHONE>"),
    ("Telefon: 00800 400 200 00", "Telefon: <PHONE>"), ("(+33) 1 23 45 67 89", "<PHONE>"),
    # national numbers right after a phone word (with a colon, or the trunk 0)
    ("Tel. 089 12345678", "Tel. <PHONE>"), ("Telefon: 0221 / 123 45 67", "Telefon: <PHONE>"),
    ("Tél. : 07 89 12 34 56", "Tél. : <PHONE>"), ("Mobil 0171 1234567", "Mobil <PHONE>"),
    ("mobiel 06-12345678", "mobiel <PHONE>"), ("nr tel. 017 8613931", "nr tel. <PHONE>"),
])
def test_extensions_prefixes_and_labelled_national_numbers(text, expected):
    new, found = PIIRedactor().redact(text)
    assert new == expected and found["phone"] == 1 and sum(found.values()) == 1
    table = documents_table([{"id": "1", "source": "t", "text": text}])
    assert PIIRedactor()(table).kept.column("text").to_pylist() == [expected]


@pytest.mark.parametrize("text", [
    # unlabelled national numbers stay (a national format has nothing to tell it from other numbers)
    "or 020 7946 0958 from the UK", "Sydney (02) 9374 4000", "Tel 0 800 123", "tel: 12 34",
])
def test_unlabelled_or_short_national_numbers_are_kept(text):
    assert PIIRedactor().redact(text) == (text, ZERO)


# ISO 13616's examples and the registry's sample IBANs
@pytest.mark.parametrize("iban", [
    "DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "GB29 NWBK 6016 1331 9268 19", "NL91ABNA0417164300",
    "FR14 2004 1010 0505 0001 3M02 606", "IT60 X054 2811 1010 0000 0123 456", "ES91 2100 0418 4502 0005 1332",
    "BE68539007547034", "DE59 2345 0076 2791 2560 97",
])
def test_ibans_are_redacted(iban):
    new, found = PIIRedactor().redact(f"IBAN: {iban}, BIC: COBADEFFXXX")
    assert new == "IBAN: <IBAN>, BIC: COBADEFFXXX" and found == {**ZERO, "iban": 1}


@pytest.mark.parametrize("text", [
    "IBAN DE89 3704 0044 0532 0130 01",      # a wrong check digit: no IBAN, and no card in it either
    "ISIN US0378331005", "NCT04368728 trial", "GB82 WEST 1234 5698",
])
def test_iban_look_alikes_are_kept(text):
    assert PIIRedactor().redact(text) == (text, ZERO)


def test_iban_kind_option_placeholder_and_counter():
    text = "IBAN: DE59 2345 0076 2791 2560 97 / FR11 4759 9812 9025 4R1O CCUY 539"
    # with the kind off, no card is read into an IBAN's digits
    assert PIIRedactor(iban=False).redact(text) == (text, ZERO)
    assert PIIRedactor(iban_placeholder="[IBAN]").redact(text) == ("IBAN: [IBAN] / [IBAN]", {**ZERO, "iban": 2})
    res = PIIRedactor()(documents_table([{"id": "1", "source": "t", "text": "Konto DE89 3704 0044 0532 0130 00"},
                                         {"id": "2", "source": "t", "text": "NL91ABNA0417164300 und GB29NWBK60161331926819"}]))
    assert res.kept.column("text").to_pylist() == ["Konto <IBAN>", "<IBAN> und <IBAN>"]
    assert res.counters["redacted_iban"] == 3 and res.counters["redacted_bank_card"] == 0


# -- Japanese phone spellings (a probe of Japanese pages, /tmp/s23/ja/pii2.py): numbers without
# hyphens after a label, mobiles spaced, the dashes Japanese keyboards and pages write --------------
JA_PHONES = [
    # a trunk-0 number of 10-11 digits right after a phone label, colon or not, touching it or not
    ("電話：09012345678", "電話：<PHONE>"), ("TEL 0312345678", "TEL <PHONE>"), ("TEL.0120123456", "TEL.<PHONE>"),
    ("携帯番号09012345678までご連絡ください。", "携帯番号<PHONE>までご連絡ください。"), ("TEL0312345678", "TEL<PHONE>"),
    ("電話番号：0312345678", "電話番号：<PHONE>"), ("携帯電話 08012345678", "携帯電話 <PHONE>"),
    ("お問い合わせ先：0312345678（平日）", "お問い合わせ先：<PHONE>（平日）"), ("FAX：0312345679", "FAX：<PHONE>"),
    ("ファックス 0312345679", "ファックス <PHONE>"), ("ＴＥＬ：０３１２３４５６７８", "ＴＥＬ：<PHONE>"),
    ("Tel: 08912345678", "Tel: <PHONE>"),             # (any phone word: the same rule)
    # mobiles 070 / 080 / 090 + 4 + 4 spaced or not; other numbers spaced after a label
    ("090 1234 5678 までお電話ください", "<PHONE> までお電話ください"), ("携帯 080 1234 5678", "携帯 <PHONE>"),
    ("07012345678に連絡", "<PHONE>に連絡"), ("電話 03 1234 5678", "電話 <PHONE>"), ("電話：0467 12 3456", "電話：<PHONE>"),
    # dashes between the digits: ー − ‐ ‑ ‒ – ｰ, with full-width digits too
    ("電話：090ー1234ー5678", "電話：<PHONE>"), ("携帯：090−1234−5678", "携帯：<PHONE>"),
    ("電話：03‐1234‐5678", "電話：<PHONE>"), ("03‑1234‑5678まで", "<PHONE>まで"), ("03‒1234‒5678", "<PHONE>"),
    ("03–1234–5678", "<PHONE>"), ("090ｰ1234ｰ5678", "<PHONE>"), ("０９０ー１２３４ー５６７８へ", "<PHONE>へ"),
    ("フリーダイヤル0120ー123ー456", "フリーダイヤル<PHONE>"),
]


@pytest.mark.parametrize("text, expected", JA_PHONES)
def test_japanese_phone_spellings_are_redacted(text, expected):
    matches: list = []
    new, found = PIIRedactor().redact(text, matches)
    assert new == expected and found == {**ZERO, "phone": 1}
    (_, original), = matches            # recorded as written, dashes and all
    assert text.replace(original, "<PHONE>", 1) == expected


@pytest.mark.parametrize("text", [
    # postal codes, dates and times in any dash, a score
    "〒100-0001 東京都千代田区", "〒100ー0001 東京都", "2024ー01ー01に開催", "2024−01−01", "01ー02ー2024", "電話：2024ー01ー01",
    "営業時間 9:00ー18:00", "受付 10:00−17:00", "試合は3ー0で勝利",
    # JAN codes, order, member and other reference numbers in a phone's shape
    "JANコード：4901234567894", "JAN 4901234567894", "注文番号：09012345678", "会員番号 0312345678",
    "注文番号：090 1234 5678", "会員番号：090ー1234ー5678", "予約番号 08012345678",
    # no label (a landline spaced or not), a label not right before, a letter word ending in "tel",
    # and the wrong digit counts
    "商品コード 0312345678", "03 1234 5678 番地", "携帯ショップ 0312345678", "hotel0312345678",
    "TEL 031234567890", "TEL 031234567", "090123456789", "v1.0312345678",
])
def test_japanese_phone_look_alikes_are_kept(text):
    assert PIIRedactor().redact(text) == (text, ZERO)


def test_japanese_phones_pass_the_batch_screen():
    texts = [t for t, _ in JA_PHONES] + ["会員番号：090ー1234ー5678", "〒100ー0001 東京都"]
    res = PIIRedactor()(documents_table([{"id": str(i), "source": "t", "text": t} for i, t in enumerate(texts)]))
    assert res.kept.column("text").to_pylist() == [e for _, e in JA_PHONES] + texts[-2:]
    assert res.counters["redacted_phone"] == len(JA_PHONES)


def test_dashes_are_folded_only_between_digits():
    from stages.pii_patterns import fold_width
    text = "データ 090ー1234ー5678、ー1 2ー 3–4 x−5"
    assert fold_width(text) == "データ 090-1234-5678、ー1 2ー 3-4 x−5"
    assert fold_width("ＴＥＬ０３ｰ１２") == "TEL03-12" and fold_width("データ") == "データ"


# 621498320257 is python-stdnum's example of a valid My Number; 123456789018 has the check digit too
@pytest.mark.parametrize("text, expected", [
    ("マイナンバー：621498320257", "マイナンバー：<ID_NUMBER>"), ("個人番号：1234 5678 9018", "個人番号：<ID_NUMBER>"),
    ("マイナンバーは 6214-9832-0257 です", "マイナンバーは <ID_NUMBER> です"), ("個人番号１２３４５６７８９０１８", "個人番号<ID_NUMBER>"),
])
def test_japanese_my_numbers_are_redacted(text, expected):
    assert PIIRedactor().redact(text) == (expected, {**ZERO, "id_number": 1})
    res = PIIRedactor()(documents_table([{"id": "1", "source": "t", "text": text}]))
    assert res.kept.column("text").to_pylist() == [expected] and res.counters["redacted_id_number"] == 1


@pytest.mark.parametrize("text", [
    "マイナンバー：621498320258", "個人番号：1234 5678 9019",        # a wrong check digit
    "621498320257", "注文番号 1234 5678 9018", "マイナンバー：6214 98320257", "個人番号 1234567890180",
])
def test_my_number_look_alikes_are_kept(text):
    assert PIIRedactor().redact(text) == (text, ZERO)


@pytest.mark.parametrize("text", [
    "git clone git@github.com:acme/tinyparse.git", "git remote add origin git@gitlab.com:group/proj.git",
    "scp build.tar.gz deploy@ci.example.org:/srv/releases/", "rsync -a ./site user@host.net:~/www/",
    "Co-authored-by: Dependabot <noreply@github.com>", "From: do-not-reply@bank.example.co.uk",
])
def test_scp_targets_and_no_reply_senders_are_no_personal_addresses(text):
    """Stack Exchange and code are full of `git@github.com:owner/repo.git`: it became
    `<EMAIL>:owner/repo.git`, breaking the command; a service's no-reply sender is nobody's."""
    assert PIIRedactor().redact(text)[0] == text


def test_an_address_followed_by_a_colon_and_a_space_is_still_one():
    assert PIIRedactor().redact("Write to jane.roe@mail.de: she answers.")[0] == "Write to <EMAIL>: she answers."


def _spellings(word: str) -> list[str]:
    """Each text a phone word of `_PHONE_WORDS` stands for: `e?` with and without the letter, `[óo]` each letter."""
    m = re.search(r"\[(\w+)\]|(\w)\?", word)
    if m is None:
        return [word]
    options = list(m.group(1)) if m.group(1) else [m.group(2), ""]
    return [s for o in options for s in _spellings(word[:m.start()] + o + word[m.end():])]


def test_labelled_phone_screen_lets_every_phone_word_through():
    """The labelled pass runs only on rows in which `PHONE_LABEL_SCREEN` finds a phone word: every
    word the pass reads as a label, in every case and width it reads (re.I: İ and ı are i), must get
    through it, or the number after it is left in place. "+5 points" lets the row through the phone
    kind's screen with nothing for the other passes to replace, so only the label screen decides."""
    from stages.pii_patterns import _PHONE_LABEL_END, _PHONE_WORDS, PHONE_LABEL_SCREEN
    words = [s for w in _PHONE_WORDS for s in _spellings(w)] + [
        "電話", "携帯", "携帯電話", "ファックス", "ファクス", "お問い合わせ先", "問合せ先", "問い合せ先", "連絡先", "電話番号", "携帯番号"]
    labels = []
    for w in words:
        assert _PHONE_LABEL_END.search(w + " "), w         # (a label of the pass)
        labels += [w, w.upper(), w.title(), "".join(chr(ord(c) + 0xFEE0) if c.isascii() else c for c in w)]
        if "i" in w:
            labels += [w.replace("i", "ı"), w.upper().replace("I", "İ")]
    texts = [f"+5 points; {label} 089 12345678" for label in labels]
    res = PIIRedactor()(documents_table([{"id": str(i), "source": "t", "text": t} for i, t in enumerate(texts)]))
    assert res.kept.column("text").to_pylist() == [f"+5 points; {label} <PHONE>" for label in labels]
    assert res.counters["redacted_phone"] == len(labels)
    # and it is a screen: rows of figures without a phone word are kept from the pass
    figures = pa.array(["Table 3: 089 12345678", "hotel 2019 12 345 678", "Preis 1.234,56 € 0171 1234567"])
    assert pc.match_substring_regex(figures, PHONE_LABEL_SCREEN).to_pylist() == [False, True, False]
