"""`format: wikitext`: one article's raw wikitext a file, read with the dump reader's rules."""
import gzip

from pipeline.readers import Doc, ReadState, expand_paths, read_source_file
from pipeline.recipe import SourceConfig


def read(paths, fmt="wikitext", **opts):
    src = SourceConfig(name="w", format=fmt, paths=[str(p) for p in paths], **opts)
    state, docs, other = ReadState(), [], []
    for p in [f for pattern in src.paths for f in expand_paths(pattern)]:
        for item in read_source_file(src, p, state):
            (docs if isinstance(item, Doc) else other).append(item)
    return docs, other, state.counters


def test_the_shared_wikitext_articles_read_as_the_dump_reader_reads_them(shared_data, tmp_path):
    folder = shared_data / "sources" / "wiki" / "wikitext"
    docs, other, counters = read([folder])
    assert len(docs) == len(list(folder.glob("*.txt.gz"))) and not other
    assert not any("{{" in d.text or "[[" in d.text for d in docs)       # templates and links rendered
    one = folder / "Alexander-Y-Type.txt.gz"
    doc = next(d for d in docs if d.id == f"w/{one}")
    assert doc.metadata["title"] == "Alexander-Y-Type"
    # the same wikitext inside a dump page: the same text
    wikitext = gzip.decompress(one.read_bytes()).decode()
    esc = wikitext.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    (tmp_path / "d.xml").write_text(
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/"><siteinfo><dbname>enwiki</dbname>'
        '<base>https://en.wikipedia.org/wiki/Main_Page</base></siteinfo><page><title>Alexander Y-type</title>'
        f'<ns>0</ns><id>7</id><revision><id>1</id><text xml:space="preserve">{esc}</text></revision></page>'
        '</mediawiki>')
    dumped, _, _ = read([tmp_path / "d.xml"], "mediawiki")
    assert [d.text for d in dumped] == [doc.text]


def test_redirects_and_disambiguation_files_are_skipped_and_counted(tmp_path):
    (tmp_path / "Old_name.wiki").write_text("#REDIRECT [[New name]]\n")
    (tmp_path / "Mercury_(disambiguation).wiki").write_text("'''Mercury''' may refer to:\n* [[Mercury (planet)]]\n")
    (tmp_path / "Jaguar.wikitext").write_text("'''Jaguar''' may mean:\n* [[Jaguar (animal)]]\n{{disambiguation}}\n")
    (tmp_path / "Kirkcaldy.wiki").write_text("'''Kirkcaldy''' is a town in [[Fife]].{{citation needed}}\n\n"
                                             "== References ==\n{{reflist}}\n")
    (tmp_path / "notes.md").write_text("# not wikitext\n")
    docs, other, counters = read([tmp_path])
    assert [(d.metadata["title"], d.text) for d in docs] == [("Kirkcaldy", "Kirkcaldy is a town in Fife.")]
    assert counters == {"skipped_redirect": 1, "skipped_disambiguation": 2, "skipped_not_wikitext_file": 1}
    assert not other
