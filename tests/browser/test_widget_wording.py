"""Headings and counts worded as WordPress words them, plural-correct in three languages with
different plural rules, in a site's own words when it chooses them; the form's headings and the
thread's feed link."""

from __future__ import annotations

import pytest

from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    add_comments,
    app_config,
    database_url,
    demo_fixture,
    set_title,
    shadow,
)

pytestmark = pytest.mark.browser

SIZES = {"/posts/one/": 1, "/posts/few/": 3, "/posts/many/": 5}
# (heading for 0, 1, 3, 5 responses; count.js for 0, 1, 3, 5 comments)
WORDING = {
    "en": (
        ["No responses yet", "1 response to “One”", "3 responses to “One”", "5 responses to “One”"],
        ["No comments", "1 comment", "3 comments", "5 comments"],
    ),
    "de": (
        [
            "Noch keine Antworten",
            "1 Antwort auf „One“",
            "3 Antworten auf „One“",
            "5 Antworten auf „One“",
        ],
        ["Keine Kommentare", "1 Kommentar", "3 Kommentare", "5 Kommentare"],
    ),
    "pl": (  # one, few and many differ
        [
            "Nie ma jeszcze odpowiedzi",
            "1 odpowiedź na „One”",
            "3 odpowiedzi na „One”",
            "5 odpowiedzi na „One”",
        ],
        ["Brak komentarzy", "1 komentarz", "3 komentarze", "5 komentarzy"],
    ),
}
MOUNT = """([paths, lang]) => { for (const path of paths) {
  const el = Object.assign(document.createElement('div'), {id: 'w' + path.replaceAll('/', '-')});
  document.body.append(el);
  commentsvc.init({site: 'demo', target: el, url: new URL(path, location.href).href, lang}); } }"""
HEADINGS = """(paths) => paths.map((path) => document
  .getElementById('w' + path.replaceAll('/', '-'))
  .shadowRoot.querySelector('.cs-count').textContent)"""
COUNTS = """([service, paths, lang, extra]) => {
  document.documentElement.lang = lang;
  for (const path of paths) {
    const a = Object.assign(document.createElement('a'), {className: 'n', textContent: 'Comments'});
    a.dataset.commentsCount = path; document.body.append(a); }
  const bare = Object.assign(document.createElement('span'), {className: 'bare'});
  bare.dataset.commentsCount = paths.at(-1); bare.dataset.commentsCountFormat = 'number';
  document.body.append(bare);
  const script = Object.assign(document.createElement('script'), {src: service + '/count.js'});
  Object.assign(script.dataset, {site: 'demo', ...extra});
  document.body.append(script); }"""


@pytest.fixture
def threads(demo: Demo) -> list[str]:
    """Threads of 1, 3 and 5 comments, each titled "One"; the post itself has none."""
    for path, size in SIZES.items():
        add_comments(demo, size, path=path)
        set_title(demo, "One", path=path)
    return list(SIZES)


@pytest.mark.parametrize("lang", list(WORDING))
def test_headings_and_counts_read_right_for_none_one_and_many(
    page, demo: Demo, threads: list[str], lang: str
) -> None:
    headings, counts = WORDING[lang]
    page.goto(demo.page() + f"?lang={lang}")
    shadow(page, ".cs-count", has_text=headings[0]).wait_for()
    page.evaluate(MOUNT, [threads, lang])
    page.wait_for_function(f"({HEADINGS})({threads!r}).every((text) => /\\d/.test(text))")
    assert page.evaluate(HEADINGS, threads) == headings[1:]
    page.evaluate(COUNTS, [demo.service, ["/posts/none/", *threads], lang, {}])
    page.wait_for_function("document.querySelector('.bare').textContent === '5'")
    assert page.locator("a.n").all_inner_texts() == counts
    assert page.console_errors == []


def test_a_site_chooses_its_own_wording(page, demo: Demo, threads: list[str]) -> None:
    page.goto(demo.page())
    page.evaluate(
        """([service, url]) => {
        document.body.append(Object.assign(document.createElement('div'), {id: 'own'}));
        const script = document.createElement('script');
        script.src = service + '/embed.js';
        Object.assign(script.dataset, {site: 'demo', target: 'own', url,
          textHeadingOne: '{n} thought on “{title}”', textHeadingOther: '{n} thoughts on “{title}”',
          textLeaveReply: 'Say something'});
        document.body.append(script); }""",
        [demo.service, demo.page("/posts/one/")],
    )
    own = page.locator("#own")
    own.locator(".cs-count", has_text="1 thought on “One”").wait_for()
    assert own.locator("h3.cs-lr").inner_text() == "Say something"
    page.evaluate(
        "(url) => commentsvc.init({site: 'demo', target: document.body.appendChild("
        "Object.assign(document.createElement('div'), {id: 'many'})), url,"
        " text: {heading: {other: '{n} thoughts'}}})",
        demo.page("/posts/many/"),
    )
    page.locator("#many .cs-count", has_text="5 thoughts").wait_for()
    extra = {"textCountOther": "{n} notes", "textCountNone": "Be the first"}
    page.evaluate(COUNTS, [demo.service, ["/posts/none/", "/posts/few/"], "en", extra])
    page.wait_for_function("document.querySelector('.bare').textContent === '3'")
    assert page.locator("a.n").all_inner_texts() == ["Be the first", "3 notes"]


def test_form_headings_and_the_comments_feed_link(page, demo: Demo) -> None:
    first = demo.post("A comment to answer", name="Ann")
    page.goto(demo.page())
    assert shadow(page, "form.cs-form h3.cs-lr").first.inner_text() == "Leave a reply"
    comment = shadow(page, f"#comment-{first['id']}")
    comment.get_by_role("button", name="Reply").click()
    reply_form = shadow(page, ".cs-c form.cs-form")
    assert reply_form.locator("h3").inner_text() == "Reply to Ann"
    assert reply_form.get_attribute("aria-label") == "Reply to Ann"
    feed = shadow(page, ".cs-feed a", has_text="Comments feed")
    href = feed.get_attribute("href")
    assert href.startswith(f"{demo.service}/feeds/demo/thread.atom?url=")
    response = page.request.get(href)
    assert response.ok and "A comment to answer" in response.text()
