"""Bytes that name no charset: source and text files, text cells stored as binary (`decode_text_bytes`),
and the books' test for UTF-8 with stray bytes (`may_be_utf8_with_strays`).

What the bytes are, in this order: UTF-16 or UTF-32, with a byte-order mark or without one
(`wide_unicode`: the NUL bytes that make git's binary test fail on them); binary (`binary_bytes`:
git's test, and what it misses); UTF-8; else text in another charset, where lines decide, not
bytes (`decode_unlabelled`, which asks pipeline.readers.decode's detection for an unlabelled page).
"""
from __future__ import annotations

import codecs

from pipeline.readers.charsets import (MAX_BAD_SHARE, _BAD_BYTES, _MULTIBYTE, _mess, _plausible, _strict, bad_share,
                                       is_utf8)
# (decode imports base, which registers the tokenmill.cp1252 error handler decode_unlabelled uses)
from pipeline.readers.decode import _BOMS, _has_nul, _mixed_runs, _wide_unicode, decode_html


def wide_unicode(body: bytes) -> tuple[str, str] | None:
    """(text, charset) of a file in UTF-16 or UTF-32, with a byte-order mark or without one
    (`_wide_unicode`), or None: for readers whose binary test is a NUL byte (source code, plain
    text), which UTF-16 holds for every ASCII character (Windows tools wrote it: PowerShell 5's
    Out-File, resource files)."""
    for bom, enc in _BOMS:
        if enc != "utf-8-sig" and body.startswith(bom):
            text = _strict(body, enc)
            return None if text is None or bad_share(text) > MAX_BAD_SHARE else (text, enc)
    return _wide_unicode(body, None) if _has_nul(body) else None


def decode_text_bytes(body: bytes, legacy: bool = True, binary_probe: int = 0
                      ) -> tuple[str | None, str | None, str | None]:
    """(text, charset, kind) of bytes that name no charset: a text or source file, a text cell
    stored as binary. kind None: UTF-8 (charset None, a BOM dropped); "wide_unicode": UTF-16 or
    UTF-32 (`wide_unicode`); "legacy_charset": another charset (`decode_unlabelled`, only with
    `legacy`). (None, why, "binary") when what is not UTF-16/32 looks binary (`binary_bytes`,
    asked when `binary_probe` is set: git's test over that many bytes, and more), (None, why,
    "bad_encoding") when no charset reads it."""
    wide = wide_unicode(body)
    if wide is not None:
        return wide[0], wide[1], "wide_unicode"
    if binary_probe and (why := binary_bytes(body, binary_probe)) is not None:
        return None, why, "binary"
    try:
        return body.decode("utf-8-sig"), None, None
    except UnicodeDecodeError as e:
        text, how = decode_unlabelled(body) if legacy else (None, "legacy_charsets is off")
        if text is None:
            return None, f"not UTF-8 ({e}), nor text in another charset: {how}", "bad_encoding"
        return text, how, "legacy_charset"


# Control bytes no text holds (C0 but for whitespace, form feed and ESC, which terminal logs and
# ANSI-coloured output carry; DEL): a share over MAX_BAD_SHARE in a file's sampled windows is
# binary (random bytes hold ~11 %; no text file of ~48,000 in real checkouts and site-packages
# held 1 %).
_CONTROL_BYTES = bytes(b for b in _BAD_BYTES if b != 0x1b)
_WINDOWS, _WINDOW = 16, 4096


def binary_bytes(body: bytes, probe: int = 8000) -> str | None:
    """Why bytes with no charset of their own are binary, or None: git's test (a NUL byte in the
    first `probe` bytes), then what it misses, seen in real checkouts: a NUL byte further on (a
    PDF's first NUL lay at byte 228,271: memchr over the whole file, cheap), control bytes in
    windows sampled across the file, and a file of one byte repeated (flash images of 0xFF, which
    read as 'ÿÿÿ' in windows-1252)."""
    if body.find(b"\0", 0, probe) >= 0:
        return f"NUL byte in the first {probe} bytes"
    if (i := body.find(b"\0")) >= 0:
        return f"NUL byte at offset {i}"
    if len(body) >= 64 and body[0] >= 0x80 and body.count(body[:1]) == len(body):
        return f"one byte repeated ({body[0]:#04x} x {len(body)})"
    step = max(_WINDOW, len(body) // _WINDOWS)
    sample = b"".join(body[i:i + _WINDOW] for i in range(0, len(body), step))
    share = (len(sample) - len(sample.translate(None, _CONTROL_BYTES))) / max(1, len(sample))
    return f"{share:.0%} control bytes" if share > MAX_BAD_SHARE else None


def decode_unlabelled(body: bytes) -> tuple[str | None, str]:
    """(text, charset) of a file that is not UTF-8 and names no charset (source code, plain text),
    or (None, why). Lines decide, not bytes: a file where the lines that are UTF-8 on their own
    (beyond ASCII) are at least as many as the lines with stray bytes is UTF-8, its stray bytes
    read as cp1252 (Latin-1 pasted in, damage), so that no intact line changes; otherwise it is
    read in the charset `decode_html` finds for an unlabelled page (a GBK novel, a Shift-JIS
    source file; UTF-8 but for a few stray bytes: those are cp1252 as above), if that charset
    makes sense of its lines with stray bytes, and if it is a multi-byte charset wherever the file
    has lines of its own in UTF-8 (no single-byte text forms whole lines of UTF-8 sequences). GBK bytes do form valid UTF-8 by chance (half the bytes of a
    GBK comment in cJSON.h; a two-character heading such as 目录), but rarely in many whole lines."""
    body = body.removeprefix(codecs.BOM_UTF8)
    lines = [line for line in body.split(b"\n") if not line.isascii()]
    strays = [line for line in lines if not is_utf8(line)]
    own = len(lines) - len(strays)                  # lines that are UTF-8 on their own

    def mixed() -> tuple[str | None, str]:
        # The garbage rule holds here too: binary junk forms "UTF-8 lines" by chance (a PDF's
        # streams did, and came out as a document of control characters).
        text = body.decode("utf-8", "tokenmill.cp1252")
        share = bad_share(text)
        return (text, "utf-8+cp1252") if share <= MAX_BAD_SHARE else \
            (None, f"{share:.0%} replacement/control characters read as utf-8+cp1252")

    if own and own >= len(strays):
        return mixed()
    text, how, lossy = decode_html(body)
    if text is None:
        return None, how
    if how == "utf-8":
        # UTF-8 but for a few stray bytes (decode_html's `_mostly_utf8`), with no line of its own in
        # UTF-8 (each holds a stray byte): its stray bytes are cp1252 too, not U+FFFD.
        return mixed()
    if own and how not in _MULTIBYTE:
        # A single-byte charset never makes a whole line of valid UTF-8 sequences by chance (a
        # windows-1252 line would need "Ã" before "©" at every non-ASCII byte): the UTF-8 lines
        # are what they seem, and the stray lines (junk inserted, Latin-1 pasted in) get cp1252.
        return mixed()
    if own:
        # Lines of its own in UTF-8: the other reading must make sense of the lines with stray
        # bytes, or they are junk (binary bytes inserted) and the UTF-8 lines stay as they are.
        try:
            other = b"\n".join(strays).decode(how)
        except (UnicodeDecodeError, LookupError):
            other = None
        if other is None or bad_share(other) > MAX_BAD_SHARE or not _plausible(other):
            return mixed()
        # ... and read the UTF-8 lines no worse than UTF-8 does: GBK lines that form UTF-8 by chance
        # read as symbols ("目录" as "Ŀ¼") and win; a UTF-8 line ("The Pylon – 1939") that GB18030
        # turns into hanzi amid English, or cannot read, stays UTF-8 (junk inserted into a text file
        # had outnumbered its UTF-8 lines and re-read them).
        own_lines = b"\n".join(line for line in lines if is_utf8(line))
        try:
            as_other = own_lines.decode(how)
        except (UnicodeDecodeError, LookupError):
            return mixed()
        if _mess(as_other) > _mess(own_lines.decode("utf-8")):
            return mixed()
    return text, how + ("+lossy" if lossy else "")


def may_be_utf8_with_strays(body: bytes) -> bool:
    """Whether a book that is not strict UTF-8 may be UTF-8 with stray bytes (decode_mixed_utf8
    then decides): its stray bytes are fewer than its valid multi-byte characters, or none of
    them lies in a run of non-ASCII bytes that also holds a valid sequence (Latin-1 pasted among
    ASCII: _mixed_runs). Text in a legacy multi-byte charset forms valid sequences by
    chance, one valid character to every 4 to 9 stray bytes in real GBK, Big5, EUC-JP,
    Shift_JIS and EUC-KR text, each beside stray bytes in its run; decode_mixed_utf8's own test
    (more valid characters than lines with stray bytes) took such a book, labelled or not, for
    UTF-8, and it came out as cp1252 mojibake. A UTF-8 book with Latin-1 pasted in, a stray
    byte or a cut character passes one test or the other (of 2,549 such books built from 74
    languages' sentences, none that decode_mixed_utf8 took was read otherwise than before)."""
    kept = body.decode("utf-8", "ignore")
    strays = len(body) - len(kept.encode("utf-8"))
    # non-ASCII characters kept, not U+FFFD (EF BF BD: damage done before, no evidence either way)
    valid = len(kept) - len(body.translate(None, _HIGH_BYTES)) - kept.count("\ufffd")
    return strays < valid or not _mixed_runs(body)


_HIGH_BYTES = bytes(range(0x80, 0x100))
