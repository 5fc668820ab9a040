"""Which links of a post send mentions: its content's, never its navigation's."""

from __future__ import annotations

from workers.post_content import read_post

URL = "https://blog.example.org/posts/hello"
OWN = ["https://blog.example.org"]


def links(html: str, max_links: int = 100) -> tuple[str, ...]:
    return read_post(html.encode(), "utf-8", URL, OWN, max_links).links


def test_e_content_of_the_h_entry_and_nothing_around_it() -> None:
    page = """<html><body><nav><a href="https://nav.example/">nav</a></nav>
    <div class="h-entry"><a class="u-url" href="/posts/hello">permalink</a>
      <a href="https://author.example/" class="p-author h-card">me</a>
      <div class="e-content"><p>I liked <a href="https://other.example/post">this</a>.</p></div>
    </div><aside><a href="https://aside.example/">aside</a></aside></body></html>"""
    assert links(page) == ("https://other.example/post",)


def test_the_entry_whose_url_is_the_page_wins_over_an_earlier_one() -> None:
    page = """<html><body>
    <div class="h-entry"><a class="u-url" href="/posts/other">o</a>
      <div class="e-content"><a href="https://wrong.example/">w</a></div></div>
    <div class="h-entry"><a class="u-url" href="/posts/hello">h</a>
      <div class="e-content"><a href="https://right.example/">r</a></div></div></body></html>"""
    assert links(page) == ("https://right.example/",)


def test_nested_entries_are_walked_once_not_once_each(monkeypatch) -> None:
    """A hostile page of n unclosed h-entries cost n**2 (minutes of a worker for a 1 MB
    page): the elements' classes are read a bounded number of times per element."""
    import workers.post_content as post_content

    reads = 0
    real = post_content._classes

    def counted(element):
        nonlocal reads
        reads += 1
        return real(element)

    monkeypatch.setattr(post_content, "_classes", counted)
    n = 400
    page = "".join(f'<div class="h-entry"><a class="u-url" href="/x{i}">' for i in range(n))
    assert links(f"<html><body>{page}</body></html>") == ()
    assert reads < 10 * n


def test_a_quoted_entrys_content_is_not_taken_for_the_posts_own() -> None:
    page = """<html><body><div class="h-entry">
      <div class="h-cite"><div class="e-content"><a href="https://quoted.example/">q</a></div></div>
      <div class="e-content"><a href="https://own.example/">o</a></div></div></body></html>"""
    assert links(page) == ("https://own.example/",)


def test_without_microformats_main_content_minus_header_nav_footer_aside() -> None:
    page = """<html><body><header><a href="https://h.example/">h</a></header>
    <main><nav><a href="https://toc.example/">toc</a></nav>
      <p><a href="https://kept.example/a">a</a></p>
      <footer><a href="https://share.example/">share</a></footer></main>
    <footer><a href="https://f.example/">f</a></footer></body></html>"""
    assert links(page) == ("https://kept.example/a",)


def test_relative_links_resolve_against_base_and_own_origin_links_are_dropped() -> None:
    page = """<html><head><base href="https://cdn.example/docs/"></head><body><article>
      <a href="guide">relative</a> <a href="https://blog.example.org/other">own</a>
      <a href="mailto:me@example.org">mail</a> <a href="https://x.example/p#frag">frag</a>
      <a href="https://x.example/p">again</a> <a href="http://[::1">broken</a>
      <a href="https://q.example/?a=1&amp;b=2">query</a></article></body></html>"""
    assert links(page) == (
        "https://cdn.example/docs/guide",
        "https://x.example/p",
        "https://q.example/?a=1&b=2",
    )


def test_links_past_the_cap_are_counted_not_kept() -> None:
    anchors = "".join(f'<a href="https://t{i}.example/">{i}</a>' for i in range(7))
    post = read_post(f"<main>{anchors}</main>".encode(), "utf-8", URL, OWN, 5)
    assert len(post.links) == 5 and post.dropped == 2


def test_the_content_hash_follows_the_content_not_the_chrome() -> None:
    def digest(content: str, nav: str) -> str:
        page = f"<body><nav>{nav}</nav><main>{content}</main></body>"
        return read_post(page.encode(), "utf-8", URL, OWN, 100).content_hash

    assert digest("<p>Hi</p>", "one") == digest("<p>Hi</p>", "two")
    assert digest("<p>Hi</p>", "one") != digest("<p>Hi there</p>", "one")
    assert digest('<a href="https://a.example/">x</a>', "") != digest(
        '<a href="https://b.example/">x</a>', ""
    )


def test_one_page_however_its_host_is_cased_or_its_default_port_spelled() -> None:
    page = """<main><a href="https://Other.Example/p">1</a> <a href="https://other.example:443/p">2</a>
    <a href="HTTPS://OTHER.EXAMPLE/p#c">3</a> <a href="https://other.example:8443/p">4</a>
    <a href="https://BLOG.example.org:443/own">own</a></main>"""
    assert links(page) == ("https://Other.Example/p", "https://other.example:8443/p")


def test_malformed_hrefs_and_base_are_skipped_and_counted() -> None:
    page = """<head><base href="http://["></head><main><a href="http://[">bad</a>
    <a href="https://x.example:port/">bad port</a> <a href="/own">own</a>
    <a href="https://x.example/ok">ok</a></main>"""
    post = read_post(page.encode(), "utf-8", URL, OWN, 100)
    assert post.links == ("https://x.example/ok",) and post.malformed == 2
