"""`auto` on comment sections, forum threads and thumbnail teasers, on pages shaped like real ones
(WordPress's comment markup, a forum thread with avatars, a related-pages grid) built at test time."""
import pytest

from pipeline.documents import documents_table
from stages.extract import Extract

ARTICLE = [
    "The city council voted on Tuesday to close the river path between the old mill and the railway "
    "bridge for the whole winter, after engineers found that the retaining wall had moved by several "
    "centimetres since the spring floods.",
    "Residents who walk or cycle to the station will have to use the road bridge instead, which adds "
    "about ten minutes to the trip; the council said it would paint a temporary cycle lane there.",
    "Repairs are expected to cost a little under two million euros, most of it paid from the regional "
    "flood fund, and work will start as soon as the water level allows the contractors to reach the wall.",
]
COMMENT = ("I have lived by the river for {} years and the wall has been leaning since long before the "
           "floods; the council ignored every letter we sent about it, and now everyone pays for the delay.")
FORM_TEXT = ("Leave a Reply", "Your email address will not be published")


def wordpress_page(n_comments: int) -> str:
    """An article followed by WordPress's comment list and reply form (the markup of its default themes)."""
    items = "".join(
        f'<li id="comment-{k}" class="comment even depth-1"><article class="comment-body">'
        f'<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">reader{k}</b> '
        f'<span class="says">says:</span></div><div class="comment-metadata"><a href="#comment-{k}">'
        f'<time datetime="2024-03-0{k % 9 + 1}">March {k % 9 + 1}, 2024</time></a></div></footer>'
        f'<div class="comment-content"><p>{COMMENT.format(k + 3)}</p></div></article></li>'
        for k in range(n_comments))
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE)
    return (
        '<html lang="en"><head><title>River path closed for the winter</title></head><body>'
        '<header><nav><a href="/">Home</a> <a href="/news">News</a></nav></header>'
        f'<main><article class="post"><h1>River path closed for the winter</h1>'
        f'<div class="entry-content">{paragraphs}</div></article>'
        f'<div id="comments" class="comments-area"><h2 class="comments-title">{n_comments} responses to '
        f'“River path closed”</h2><ol class="comment-list">{items}</ol>'
        '<div id="respond" class="comment-respond"><h3 id="reply-title">Leave a Reply</h3>'
        '<form id="commentform" class="comment-form"><p class="comment-notes">Your email address will not '
        'be published. Required fields are marked *</p><p><label>Comment</label><textarea name="comment">'
        '</textarea></p></form></div></div></main><footer><p>Copyright 2024 The Town Paper</p></footer>'
        '</body></html>')


def extract(engine: str, pages: dict[str, str], **options):
    table = documents_table([dict(id=k, source="t", url=f"https://paper.example/{k}", html=html)
                             for k, html in pages.items()])
    result = Extract(engine=engine, **options)(table)
    return result, {r["id"]: r for r in result.kept.to_pylist()}


def test_comment_form_dropped_article_and_a_few_comments_kept_on_the_fast_path():
    result, kept = extract("auto", {"one": wordpress_page(1)})
    doc = kept["one"]
    assert doc["extract_engine"] == "resiliparse" and "fallback_comments" not in result.counters
    assert all(p in doc["text"] for p in ARTICLE)
    assert COMMENT.format(3) in doc["text"]  # trafilatura keeps comments too (include_comments)
    assert not any(t in doc["text"] for t in FORM_TEXT)
    _, plain = extract("resiliparse", {"one": wordpress_page(1)})
    assert all(t in plain["one"]["text"] for t in FORM_TEXT)  # the form is there to drop


def test_a_page_that_is_mostly_comments_goes_to_trafilatura():
    pages = {"many": wordpress_page(8)}
    result, kept = extract("auto", pages)
    _, slow = extract("trafilatura", pages)
    assert result.counters["fallback_comments"] == 1 and kept["many"]["extract_engine"] == "trafilatura"
    assert kept["many"]["text"] == slow["many"]["text"]
    assert all(p in kept["many"]["text"] for p in ARTICLE)
    # with the signal off, the fast path keeps the comment thread it found
    result, kept = extract("auto", pages, fallback_max_comment_share=1.0)
    assert kept["many"]["extract_engine"] == "resiliparse" and "fallback_comments" not in result.counters


POSTS = ["The installer hangs at 40% on my laptop every time I try it, both from the USB stick and from the "
         "downloaded image, and the log shows nothing useful after the disk check. Any idea why?",
         "Same here on a desktop with two disks. Unplugging the USB dock before starting the installer fixed "
         "it for me, and plugging it back in after the first reboot did no harm at all.",
         "Thanks, that was it! The dock was the problem: with it unplugged the installer went through in "
         "ten minutes, and the system has been running fine since yesterday evening.",
         "Marking this as solved then. For anyone who finds this thread later: the fix is in the release "
         "notes of the next version, so updating the installer image should also help."]


def forum_thread() -> str:
    """A thread whose posts sit in the site's comment list, each beside an avatar link, a user name
    and a badge link (image links: the teaser rule must not take the posts for captions)."""
    posts = "".join(
        f'<li class="comment"><a href="/u/{k}"><img src="/avatars/{k}.png"></a>'
        f'<p><a href="/u/{k}">user{k}</a></p><p>{post}</p><a href="/u/{k}"><img src="/badges/{k}.png"></a></li>'
        for k, post in enumerate(POSTS))
    return ('<html><head><title>Installer hangs at 40%</title></head><body><nav><a href="/">Forum</a></nav>'
            f'<div id="comments"><h1>Installer hangs at 40%</h1><ol class="comment-list">{posts}</ol></div>'
            '</body></html>')


@pytest.mark.parametrize("max_comment_share", [0.5, 1.0])
def test_a_forum_thread_is_not_emptied(max_comment_share):
    result, kept = extract("auto", {"thread": forum_thread()}, fallback_max_comment_share=max_comment_share)
    assert "thread" in kept, result.counters
    assert all(post in kept["thread"]["text"] for post in POSTS)
    # all of the thread is in the comment list: the signal sends it to trafilatura; off, the fast path keeps it
    assert kept["thread"]["extract_engine"] == ("trafilatura" if max_comment_share < 1 else "resiliparse")


TEASERS = ["Ten quiet walks along the river, and where to stop for coffee.",
           "The bakery that has opened at six every morning since 1952.",
           "Why the old mill is still standing, two centuries on."]


def test_short_lines_between_thumbnail_links_are_dropped_article_kept():
    grid = "".join(f'<a href="/story/{k}"><img src="/thumb/{k}.jpg"></a><p>{t}</p>' for k, t in enumerate(TEASERS))
    grid += '<a href="/story/9"><img src="/thumb/9.jpg"></a>'
    article = "".join(f"<p>{p}</p>" for p in ARTICLE)
    page = (f'<html><body><article><h1>River path closed for the winter</h1>{article}</article>'
            f'<div><h2>Most read</h2>{grid}</div></body></html>')
    _, kept = extract("auto", {"a": page})
    assert all(p in kept["a"]["text"] for p in ARTICLE)
    assert not any(t in kept["a"]["text"] for t in TEASERS)


@pytest.mark.parametrize("page,share_at_least,share_below", [
    (wordpress_page(0), 0.0, 0.1), (wordpress_page(1), 0.1, 0.5), (wordpress_page(8), 0.5, 1.0),
    (forum_thread(), 1.0, 1.01)], ids=["wp0", "wp1", "wp8", "forum"])
def test_comment_share_from_the_one_extraction_equals_extracting_again_without_the_sections(
        page, share_at_least, share_below):
    # The share auto reads off its one extraction (the fast text's lines found in the sections' DOM
    # text) against its definition: the units the cleaned text loses when the sections are skipped.
    from stages.extract.boilerplate import COMMENT_FORMS, COMMENT_SECTIONS, clean
    stage = Extract(engine="auto").ensure_setup()
    fast = stage._resiliparse
    tree = fast.parse(page)
    _, units, share = stage._fast_text(tree)
    without = clean(fast.markup(tree, list(COMMENT_SECTIONS + COMMENT_FORMS), post_meta=False))[1]
    assert share == pytest.approx(1 - sum(without) / sum(units), abs=1e-9)
    assert share_at_least <= share < share_below


def test_a_large_comment_section_beside_a_long_text_is_measured_by_a_second_extraction():
    # Matching each line against the sections' text would scan too much: the share comes from an
    # extraction without the sections, and says the same as matching would.
    from stages.extract.boilerplate import comment_share
    stage = Extract(engine="auto").ensure_setup()
    tree = stage._resiliparse.parse(wordpress_page(300))
    text, units, share = stage._fast_text(tree)
    assert comment_share(tree.body, text, units) is None
    assert share == pytest.approx(comment_share(tree.body, text, units, max_work=10**12), abs=1e-9)
    assert share > 0.9
