"""pii on Chinese text (a probe of Chinese pages, /tmp/s26/pc): a phone label wins over an amount unit
after the number, a unit's character that begins another word (元旦, 人工, 次日, 百度) is no unit;
em dashes, 4-4-4 groups, Chinese phone labels, grouped ID numbers and `Mob:` are read; a meeting id in
a mobile's shape is kept."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from pipeline.documents import documents_table
from stages.pii import PIIRedactor
from stages.pii_patterns import fold_width, PHONE_LABEL_SCREEN

ZERO = dict.fromkeys(("email", "ip", "phone", "id_number", "bank_card", "iban"), 0)

REDACTED = [
    # a phone label before the number: no unit after it counts
    ("联系电话：13812345678元旦期间照常营业", "联系电话：<PHONE>元旦期间照常营业", "phone"),
    ("咨询热线13812345678人工服务", "咨询热线<PHONE>人工服务", "phone"),
    ("报名电话：13812345678份额有限", "报名电话：<PHONE>份额有限", "phone"),
    ("客服：13912345678倍感荣幸", "客服：<PHONE>倍感荣幸", "phone"),
    ("手机号：13912345678亿万用户的选择", "手机号：<PHONE>亿万用户的选择", "phone"),
    ("订购热线：4008881234元起", "订购热线：<PHONE>元起", "phone"),
    # no label, but the unit's character begins a word that is no unit
    ("手机13812345678次日回复", "手机<PHONE>次日回复", "phone"),
    ("电话13812345678百度搜索", "电话<PHONE>百度搜索", "phone"),
    ("联系人：王经理13812345678千万不要错过", "联系人：王经理<PHONE>千万不要错过", "phone"),
    ("王先生 13812345678 人在北京", "王先生 <PHONE> 人在北京", "phone"),
    ("李女士13812345678元宵节照常营业", "李女士<PHONE>元宵节照常营业", "phone"),
    ("预约13812345678股东大会", "预约<PHONE>股东大会", "phone"),
    # em dash and horizontal bar between the digits
    ("电话：010—65881234", "电话：<PHONE>", "phone"),
    ("0755—86013388", "<PHONE>", "phone"),
    ("手机：138—1234—5678", "手机：<PHONE>", "phone"),
    ("电话：010―65881234", "电话：<PHONE>", "phone"),
    # an 8-digit local number split 4-4 after a Chinese phone label; a Taiwanese mobile under 手機
    ("电话：0571 8723 6100", "电话：<PHONE>", "phone"),
    ("传真 0571 8723 6101", "传真 <PHONE>", "phone"),
    ("手機：0912345678", "手機：<PHONE>", "phone"),
    ("Mob: 0412 345 678", "Mob: <PHONE>", "phone"),
    # a resident ID grouped 6-8-4 after an ID label, its check character valid
    ("身份证：110105 19491231 002X", "身份证：<ID_NUMBER>", "id_number"),
    ("身份证号：110105-19491231-002X，男", "身份证号：<ID_NUMBER>，男", "id_number"),
    ("证件号码 110105 19491231 002x", "证件号码 <ID_NUMBER>", "id_number"),
]

KEPT = [
    # an amount or a count with no phone label
    "成交额13812345678元", "成交额13812345678元，同比增长", "GDP 13912345678 万元", "总计13812345678亿",
    "持有13812345678股", "昨日成交量 15012345678 股", "用户数 13912345678 人", "共 13812345678 次",
    "折合13812345678人民币", "年发电13812345678千瓦时", "市值13812345678百万元", "涨幅13800000000%",
    # a meeting id in a mobile's shape
    "腾讯会议号：138 1234 5678", "腾讯会议：138 1234 5678", "会议ID：13812345678", "Meeting ID: 138 1234 5678",
    # a grouped ID shape without a label, with a wrong check character, or with mixed separators
    "110105 19491231 002X", "身份证：110105 19491231 0021", "身份证：110105 19491231-002X",
    "订单 110105 19491231 002X",
    # dashes in prose and a doubled dash between years; a date after a Chinese phone label
    "1990——2000年", "电话：2024—01—15",
    # a Chinese phone word without its colon as a noun of a table or a count (a review of pii 10)
    "共有手机 0 1234 5678 部", "热线 0 8 15 30 60",
]


@pytest.mark.parametrize("text, expected, kind", REDACTED)
def test_chinese_phones_and_ids_are_redacted(text, expected, kind):
    matches: list = []
    new, found = PIIRedactor().redact(text, matches)
    assert (new, found) == (expected, {**ZERO, kind: 1})
    (_, original), = matches            # recorded as written, em dashes and all
    assert text.replace(original, "<ID_NUMBER>" if kind == "id_number" else "<PHONE>", 1) == expected


@pytest.mark.parametrize("text", KEPT)
def test_amounts_meeting_ids_and_unlabelled_groups_are_kept(text):
    assert PIIRedactor().redact(text) == (text, ZERO)


def test_through_the_batch_screens():
    """Each row alone through the stage, so only its own screen match lets it through."""
    for text, expected, kind in REDACTED:
        res = PIIRedactor()(documents_table([{"id": "1", "source": "t", "text": text}]))
        assert res.kept.column("text").to_pylist() == [expected], text
        assert res.counters[f"redacted_{kind}"] == 1, text
    res = PIIRedactor()(documents_table([{"id": str(i), "source": "t", "text": t} for i, t in enumerate(KEPT)]))
    assert res.kept.column("text").to_pylist() == KEPT and res.counters["pii_documents"] == 0


def test_em_dashes_fold_only_between_digits():
    assert fold_width("电话：010—65881234 ― 1990——2000") == "电话：010-65881234 ― 1990——2000"


def test_chinese_phone_labels_pass_the_label_screen():
    """The labelled pass runs only where `PHONE_LABEL_SCREEN` finds a phone word."""
    labels = ["电话", "手机", "手機", "热线", "熱線", "传真", "傳真", "座机", "座機", "手机号码", "電話號碼", "Mob"]
    texts = pa.array([f"{label}：0571 8723 6100" for label in labels])
    assert pc.match_substring_regex(texts, PHONE_LABEL_SCREEN).to_pylist() == [True] * len(labels)
