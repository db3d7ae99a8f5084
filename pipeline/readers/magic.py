"""What a payload is by its first bytes: binary formats, for the readers that must not take a file
for text (a checkout's source file: code.py quarantines it `binary_file`; a mirror's page or a
crawl's payload labelled text/html: web.py skips it), and a whole HTML page, for the readers that
must not take a page for text (a row's text, a crawl's text/plain body). Hand-written: no
file-type library (`filetype`, `puremagic`, libmagic's bindings) is a dependency, and these
signatures are fixed by their formats.
"""
from __future__ import annotations

import re

# A whole page opens with a doctype or <html> (after blanks, a byte-order mark, XHTML's XML
# declaration, comments): stricter
# than "begins with <", which text may (an address, a quoted tag).
HTML_PAGE = re.compile(r"[\s\ufeff]*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])",
                       re.I | re.S)

# (offset, signature, format), as file(1) knows them: a PDF's first NUL can lie 200 KB in and its
# text streams pass as UTF-8 lines; only signatures no text file begins with.
SIGNATURES = [
    (0, b"%PDF-", "PDF document"), (0, b"\x89PNG\r\n\x1a\n", "PNG image"), (0, b"GIF87a", "GIF image"),
    (0, b"GIF89a", "GIF image"), (0, b"\xff\xd8\xff", "JPEG image"), (0, b"PK\x03\x04", "ZIP archive (jar, docx, ...)"),
    (0, b"PK\x05\x06", "ZIP archive (empty)"), (0, b"\x7fELF", "ELF executable"), (0, b"\x1f\x8b", "gzip data"),
    (0, b"\xfd7zXZ\x00", "xz data"), (0, b"\x28\xb5\x2f\xfd", "zstd data"), (0, b"7z\xbc\xaf\x27\x1c", "7-zip archive"),
    (0, b"Rar!\x1a\x07", "RAR archive"), (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE document (doc, xls, msi)"),
    (0, b"\xca\xfe\xba\xbe", "Java class / Mach-O"), (0, b"\xcf\xfa\xed\xfe", "Mach-O executable"),
    (0, b"\xce\xfa\xed\xfe", "Mach-O executable"), (0, b"\x00asm", "WebAssembly module"),
    (0, b"SQLite format 3\x00", "SQLite database"), (0, b"OggS", "Ogg media"), (0, b"fLaC", "FLAC audio"),
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM media"), (0, b"wOFF", "WOFF font"), (0, b"wOF2", "WOFF2 font"),
    (0, b"\x89HDF\r\n\x1a\n", "HDF5 data"), (0, b"\x93NUMPY", "NumPy array"), (0, b"!<arch>\n", "ar archive (.a, .deb)"),
    (4, b"ftyp", "MP4/QuickTime/HEIF media"), (257, b"ustar", "tar archive"),
    (0, b"\x00\x00\x01\x00", "ICO image"), (0, b"\x00\x00\x02\x00", "cursor image"),
    (0, b"\x00\x01\x00\x00\x00", "TrueType font"), (0, b"II*\x00", "TIFF image"), (0, b"MM\x00*", "TIFF image"),
    (0, b"ID3\x02", "MP3 audio"), (0, b"ID3\x03", "MP3 audio"), (0, b"ID3\x04", "MP3 audio"),
    (0, b"MZ\x90\x00", "Windows executable"), (0, b"\x00\x00\x00\x01Bud1", "macOS .DS_Store"),
]


def binary_format(body: bytes) -> str | None:
    """The binary format a file's first bytes name (SIGNATURES, plus bzip2 and RIFF by their
    longer headers), or None."""
    for offset, magic, what in SIGNATURES:
        if body.startswith(magic, offset):
            return what
    if body.startswith(b"BZh") and body[4:10] == b"1AY&SY":
        return "bzip2 data"
    if body.startswith(b"RIFF") and body[8:12] in (b"WAVE", b"AVI ", b"WEBP"):
        return "RIFF media"
    return None
