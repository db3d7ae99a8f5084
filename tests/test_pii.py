"""pii: positives are redacted with typed placeholders; look-alikes stay unchanged."""
from __future__ import annotations

import pyarrow as pa
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
    assert res.counters == {"redacted_email": 3, "redacted_ip": 3, "redacted_phone": 9,
                            "pii_documents": len(POSITIVES)}
    private = PIIRedactor(redact_non_public_ips=True, ip_placeholder="[IP]", phone=False)
    new, found = private.redact("local 192.168.1.1 call 415-555-2671")
    assert new == "local [IP] call 415-555-2671" and found["ip"] == 1


def test_no_candidates_fast_path():
    table = documents_table([{"id": "1", "source": "t", "text": "nothing personal here"}])
    res = PIIRedactor()(table)
    assert res.kept.equals(table) and res.counters["pii_documents"] == 0
    assert isinstance(res.kept.column("text").type, pa.DataType)
