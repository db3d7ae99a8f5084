"""The `code` reader on what real checkouts hold besides plain UTF-8 source: binaries that git's
NUL test misses, short GBK comments, names Pygments knows beyond their extension, symbolic links.
Each case is a file seen in a real repository (StudyInEsp8266, ch32v307, MDTool, vite), rebuilt
small here."""
import os
import random

from chardetng_py import EncodingDetector

from pipeline.readers import Doc, ReadState, expand_paths
from pipeline.readers.code import language_of
from pipeline.readers.decode import detector_sample
from pipeline.readers.decode_files import decode_unlabelled
from pipeline.recipe import SourceConfig

HEADER = "".join(f"#define DEF_USB_EP{i}_SIZE  0x{i * 64:04X}\n" for i in range(40))


def _read_tree(root, **options):
    src = SourceConfig(name="c", format="code", paths=[str(root)], root=str(root), repo="x/y", **options)
    state = ReadState()
    items = {}
    for p in expand_paths(str(root)):
        for item in src.reader.read(p, src, state):
            items[os.path.relpath(p, root)] = item
    return items, state.counters


def test_binaries_that_pass_gits_nul_test_are_quarantined(tmp_path):
    """git looks for a NUL byte in the first 8,000 bytes only: a PDF manual (first NUL at byte
    228,271, its text streams valid UTF-8 lines) and ESP8266 flash images of 4,096 bytes of 0xFF
    came out as documents (utf-8+cp1252, cp1256+lossy). Known signatures, a NUL anywhere, control
    bytes sampled across the file and one byte repeated now quarantine them, with the reason."""
    rnd = random.Random(7)
    junk = bytes(rnd.choice([*range(1, 9), *range(14, 32), *range(0x80, 0x100)]) for _ in range(20_000))
    lines = "".join(f"{i} 0 obj << /Type /Page /Contents {i + 1} 0 R >> endobj\n" for i in range(400)).encode()
    files = {
        "manual.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + lines + b"stream\n" + b"\0" * 8 + b"\nendstream\n",
        "notes.dat": lines * 2 + b"\0" + lines,                     # no signature, a NUL at byte ~45,000
        "blank.bin": b"\xff" * 4096,
        "blank_12k.bin": b"\xff" * 12288,
        "project.wvproj": junk,                                   # no NUL, 1 control byte in ~6
        "lib.jar": b"PK\x03\x04" + lines,
        "colors.log": b"\x1b[32mok\x1b[0m build finished\n" * 200,   # ESC codes: a terminal log is text
        "ok.c": HEADER.encode(),
    }
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
    items, counters = _read_tree(tmp_path)
    reasons = {name: (None if isinstance(i, Doc) else i.reason) for name, i in items.items()}
    assert reasons == {"manual.pdf": "binary_file", "notes.dat": "binary_file", "blank.bin": "binary_file",
                       "blank_12k.bin": "binary_file", "project.wvproj": "binary_file", "lib.jar": "binary_file",
                       "colors.log": None, "ok.c": None}
    assert "PDF document" in items["manual.pdf"].detail and "ZIP" in items["lib.jar"].detail
    assert "one byte repeated (0xff x 4096)" in items["blank.bin"].detail
    assert "NUL byte at offset" in items["notes.dat"].detail


def test_binary_junk_in_utf8_lines_is_garbage_not_utf8_with_cp1252():
    """decode_unlabelled's UTF-8-with-stray-bytes reading obeys the garbage rule like every other
    reading (the rows reader and text cells use it too, without the code reader's binary test)."""
    good = "/* café, naïve */\n".encode() * 10
    junk = b"\x81\x8d\x8f\x90\x9d\x01\x02\x03\x04\x05\x06\x07" * 5 + b"\n"
    text, how = decode_unlabelled(good + junk * 5)
    assert text is None and "control" in how
    text, how = decode_unlabelled(good + "/* Müller */\n".encode("latin-1"))     # Latin-1 pasted in: kept
    assert how == "utf-8+cp1252" and "Müller" in text


def test_short_gbk_comments_are_chinese_and_latin1_stays(tmp_path):
    """A GBK comment of a few characters in a long ASCII file came out in a single-byte charset
    ("（bcdDevice）" as "£¨bcdDevice£©", "测试" as "²âتش", "、" as "¡¢"): when every run of
    non-ASCII bytes is whole GB2312 pairs of common Chinese and the single-byte reading makes no
    word of them, the file is GB18030. Latin-1 (German umlauts, a curly apostrophe) and Cyrillic or
    Greek words of even length stay in their charsets."""
    files = {
        "usb_desc.h": ("/* USB device descriptor, device serial number（bcdDevice） */\n" + HEADER, "gbk", "gb18030"),
        "app_iochub.h": ("extern uint16_t wchIochubSerPort; //20001、38089\n" + HEADER, "gbk", "gb18030"),
        "fileGBK.md": ("测试~~~", "gbk", "gb18030"),
        "readme.txt": ("1、compile options\n2、You can also use gen_misc to make and generate specific bin "
                       "you needed.\n", "gbk", "gb18030"),
        "main.c": ("  · Number of Channels: 2 Channels (Stereo)\n  · Sampling Depth: 16-bit\n" + HEADER,
                   "gbk", "gb18030"),
        "code.sty": ("% 14.1.2008 ergänzt um fettgedruckte Matrizen\n% Bildunterschrift für Pseudocode\n"
                     "{\\bf Rückgabe}\n", "cp1252", "cp1252"),
        "eth.c": ("  * @brief   Clears the ETHERNET’s DMA IT pending bit.\n" + HEADER, "cp1252", "cp1252"),
        "ru.c": ("// Тест функции\nint main(void) { return 0; }\n", "cp1251", "cp1251"),
        "el.py": ("# Καλά\n", "cp1253", "cp1253"),
    }
    for name, (text, charset, _) in files.items():
        (tmp_path / name).write_bytes(text.encode(charset))
    items, _ = _read_tree(tmp_path)
    for name, (text, _, read_as) in files.items():
        assert items[name].metadata["charset"] == read_as and items[name].text == text, name


def test_the_detector_sample_never_ends_inside_a_gbk_character():
    """detector_sample caps a long file's sample at 4,096 bytes; cut after the first byte of a GBK
    pair, chardetng (told the sample is all there is) ruled GBK out and named windows-1252 (a 3.5
    MB GBK-commented listing came out as cp1250 mojibake). The cap now falls after a byte no
    multi-byte character holds, and chardetng names GB18030 at every alignment."""
    lines = ["//如果状态正确，证明已经成功连接到路由器", 'os_printf("WIFI连接成功！");',
             "    //设置定时器，每隔一秒检查一次连接状态", "void ICACHE_FLASH_ATTR user_init(void) {", "}"]
    text = "\n".join(lines * 60) + "\n"
    for pad in range(4):
        body = b"#" * pad + text.encode("gbk")
        sample = detector_sample(body)
        assert 3000 < len(sample) <= 4096
        sample.decode("gb18030")                          # whole characters: strict decoding passes
        detector = EncodingDetector()
        detector.feed(sample, last=True)
        assert detector.guess(tld=None, allow_utf8=False) == "gb18030", pad


def test_language_names_pygments_knows_beyond_the_extension():
    """The cache per extension hid Pygments' patterns on whole names (Makefile.am is a Makefile,
    Kconfig.debug Kconfig, page.html.j2 a Jinja template); a small table overrides its poor
    name-only guesses and names notebooks."""
    names = {"Makefile.am": "Makefile", "src/Makefile.in": "Makefile", "Kconfig.debug": "Kconfig",
             "templates/page.html.j2": "HTML+Django/Jinja", "build/lib.rs.in": "Rust", "go.mod": "Go Module",
             "start.S": "GAS", "boot.s": "GAS", "tool.pl": "Perl", "Lib.pm": "Perl", "plot.R": "R", "fit.r": "R",
             "05.02-Introducing-Scikit-Learn.ipynb": "Jupyter Notebook", "main.c": "C", "Makefile": "Makefile",
             "CMakeLists.txt": "CMake", "x.py": "Python", "README": None,
             "Program.fs": "F#", "schema.sql": "SQL", "App.svelte": "Svelte", "shader.glsl": "GLSL",
             "tsconfig.jsonc": "JSON with Comments", "build.sbt": "Scala", "main.nim": "Nim"}
    assert {n: language_of(n) for n in names} == names


def test_a_symlink_inside_the_tree_is_read_once(tmp_path):
    """A link to a file of the same tree (vite's playground/preserve-symlinks/module-a/linked.js ->
    src/index.js) made a second document of the file: it is skipped and counted. A link out of
    the tree is skipped too (was: read, so `x -> /etc/passwd` or a link to a home directory's keys
    put the machine's files in the corpus; The Stack has only a link's target path)."""
    root, outside = tmp_path / "repo", tmp_path / "elsewhere"
    (root / "src").mkdir(parents=True)
    outside.mkdir()
    (root / "src" / "index.js").write_text("export default 1\n")
    (outside / "shared.js").write_text("export const shared = 2\n")
    os.symlink("src/index.js", root / "linked.js")
    os.symlink(outside / "shared.js", root / "shared.js")
    for options in ({"root": str(root)}, {}):                  # the tree: root, else the listed directory
        src = SourceConfig(name="c", format="code", paths=[str(root)], **options)
        state = ReadState()
        docs = [i for p in expand_paths(str(root)) for i in src.reader.read(p, src, state)]
        assert sorted(d.metadata["path"].rsplit("/", 1)[-1] for d in docs) == ["index.js"]
        assert state.counters["code_symlink_in_tree_skipped"] == 1
        assert state.counters["code_symlink_out_of_tree_skipped"] == 1
        assert not any("shared" in d.text for d in docs)
