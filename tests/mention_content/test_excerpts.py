"""What a mention's excerpt says: a reply's own words, and text that reads as the page does."""

from __future__ import annotations

import pytest

from workers.parse import MAX_EXCERPT, read_document

TARGET = "https://blog.example.org/posts/self-hosting/"
SOURCE = "https://ann.example/notes/7"


def read(html: str, url: str = SOURCE):
    return read_document(html.encode(), "text/html", "utf-8", url, TARGET)


def reply_page(content: str, extra: str = "") -> str:
    return f"""<!doctype html><html><head><title>Ann's notes</title></head><body>
    <article class="h-entry">
      <p>In reply to <a class="u-in-reply-to" href="{TARGET}">Why host your own comments</a></p>
      {extra}<div class="e-content">{content}</div>
      <a class="p-author h-card" href="https://ann.example/">Ann</a>
    </article></body></html>"""


def test_a_reply_shows_its_own_text_not_the_words_around_the_link():
    reading = read(reply_page("<p>I moved my blog's comments <em>home</em> last year.</p>"))
    assert reading.type == "reply"
    assert reading.excerpt == "I moved my blog's comments home last year."


def test_the_entry_summary_wins_over_its_content():
    summary = '<p class="p-summary">Short: yes, do it.</p>'
    reading = read(reply_page("<p>A very long answer…</p>", extra=summary))
    assert reading.excerpt == "Short: yes, do it."


def test_any_entry_that_mentions_the_page_shows_its_own_text():
    html = f"""<div class="h-entry"><div class="e-content"><p>Three links today.</p>
      <p>One is <a href="{TARGET}">about comments</a>.</p></div></div>"""
    assert read(html).excerpt == "Three links today. One is about comments."


def test_entry_text_leaves_out_scripts_styles_comments_and_ruby_annotations():
    content = """<p>Before<script>alert("x")</script><style>p{color:red}</style><!-- note -->
      after.</p><p><ruby>漢<rt>kan</rt></ruby>字 <img src="/s.png" alt="(smile)"></p>"""
    assert read(reply_page(content)).excerpt == "Before after. 漢字 (smile)"


def test_a_long_reply_is_cut_on_a_word_boundary_with_an_ellipsis():
    words = " ".join(f"word{n}" for n in range(400))
    excerpt = read(reply_page(f"<p>{words}</p>")).excerpt
    assert len(excerpt) <= MAX_EXCERPT and excerpt.endswith("…")
    last = excerpt.removesuffix("…").rsplit(" ", 1)[-1]
    assert last in words.split(" ")  # a whole word, not a piece of one


def test_a_long_reply_without_spaces_is_cut_at_the_limit():
    excerpt = read(reply_page("<p>" + "評論" * 600 + "</p>")).excerpt
    assert len(excerpt) == MAX_EXCERPT and excerpt.endswith("評…")


def test_a_reply_with_no_content_falls_back_to_the_words_around_the_link():
    html = f'<div class="h-entry"><p>Liked <a class="u-like-of" href="{TARGET}">this</a>.</p></div>'
    reading = read(html)
    assert reading.type == "like"
    assert reading.excerpt == "[…] Liked this. […]"


def test_without_microformats_the_excerpt_is_the_text_around_the_link():
    html = f'<p>{"lead " * 30}As <a href="{TARGET}">Why host your own comments</a> says, do.</p>'
    excerpt = read(html).excerpt
    assert excerpt.startswith("[…] ") and excerpt.endswith("says, do. […]")
    assert "As Why host your own comments says, do." in excerpt


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (f'See <a href="{TARGET}">the post</a>.', "[…] See the post. […]"),
        (f'See <em><a href="{TARGET}">the post</a></em>, really!', "[…] See the post, really! […]"),
        (f'Run <a href="{TARGET}"><code>make</code></a>; done.', "[…] Run make; done. […]"),
        (f'<a href="{TARGET}">Link</a> <em>then</em>: <code>x</code>.', "[…] Link then: x. […]"),
        (f'我读了<a href="{TARGET}">这篇文章</a>。很好。', "[…] 我读了这篇文章。很好。 […]"),
        (f'「<a href="{TARGET}">記事</a>」を読みました。', "[…] 「記事」を読みました。 […]"),
    ],
    ids=["a", "em", "code", "inline-mix", "chinese", "japanese"],
)
def test_no_space_before_punctuation_that_follows_a_link_or_inline_element(body, expected):
    assert read(f"<p>{body}</p>").excerpt == expected


def test_line_breaks_and_blocks_still_separate_words():
    html = f"<li>First.<br>See <a href='{TARGET}'>it</a>.<ul><li>Next</li></ul></li>"
    assert read(html).excerpt == "[…] First. See it. Next […]"


def test_an_image_link_is_excerpted_around_its_alt_text():
    html = f'<p>Look at <a href="{TARGET}"><img src="/x.png" alt="the diagram"></a> here.</p>'
    assert read(html).excerpt == "[…] Look at the diagram here. […]"


LINKED = f' with <a href="{TARGET}">a link</a>'


def test_the_entry_that_holds_the_link_is_read_on_a_page_of_many():
    html = "<title>Ann's blog</title>" + "".join(
        f"""<article class="h-entry"><h2 class="p-name">Post {n}</h2>
        <a class="p-author h-card" href="https://ann.example/">Ann</a>
        <div class="e-content"><p>Body {n}{LINKED if n == 2 else ""}.</p></div></article>"""
        for n in range(4)
    )
    reading = read(html, url="https://ann.example/")
    assert reading.title == "Post 2"
    assert reading.excerpt == "Body 2 with a link."


def test_an_explicit_entry_name_is_the_title_but_a_note_has_none_of_its_own():
    named = f"""<title>Ann's blog | Home</title><div class="h-entry"><h1 class="p-name">Hosting</h1>
      <div class="e-content"><a href="{TARGET}">x</a></div></div>"""
    assert read(named).title == "Hosting"
    note = f"""<title>Ann's note</title><div class="h-entry">
      <p class="p-name e-content">Nice <a href="{TARGET}">post</a>.</p></div>"""
    assert read(note).title == "Ann's note"
    author_name_only = f"""<div class="h-entry">
      <a class="p-author h-card" href="/"><span class="p-name">Ann</span></a>
      <p class="e-content"><a href="{TARGET}">x</a></p></div>"""
    assert read(author_name_only).title == SOURCE


def test_an_article_that_mentions_the_page_in_passing_shows_the_words_around_the_link():
    filler = " ".join(f"word{n}" for n in range(200))
    html = f"""<article class="h-entry"><div class="e-content"><p>{filler}</p>
      <p>See <a href="{TARGET}">the post on comments</a>, then more.</p><p>{filler}</p>
      </div></article>"""
    assert read(html).excerpt == "[…] See the post on comments, then more. […]"
