"""How the widget shows things: themes and contrast, languages, long threads, counts, mentions."""

from __future__ import annotations

import pytest

from commentsvc.cli.demo import blog_app
from commentsvc.extensions import db
from commentsvc.models import MentionsDisplay
from commentsvc.services.sites import get_site, update_site
from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    add_mention,
    app_config,
    database_url,
    demo_fixture,
    shadow,
)

pytestmark = pytest.mark.browser

THEME = "document.querySelector('#comments').shadowRoot.querySelector('.cs').dataset.theme"
PALETTE = """() => { const probe = document.createElement('span'); const v = {};
    document.querySelector('#comments').shadowRoot.querySelector('.cs').append(probe);
    for (const n of ['fg', 'bg', 'mu', 'ac', 'on', 'er', 'sf']) {
      probe.style.color = `var(--${n})`; v[n] = getComputedStyle(probe).color; }
    if (v.bg === 'rgba(0, 0, 0, 0)') {  // no panel: the page's background (here its canvas)
      probe.style.color = 'Canvas'; v.bg = getComputedStyle(probe).color; }
    probe.remove(); return v; }"""


def luminance(rgb: str) -> float:
    channels = [int(part) / 255 for part in rgb.removeprefix("rgb(").rstrip(")").split(",")]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_palette_meets_wcag_aa_contrast(browser, demo: Demo, scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(demo.page())
    shadow(page, "form.cs-form").wait_for()
    assert page.evaluate(THEME) == scheme
    colours = page.evaluate(PALETTE)
    pairs = [("fg", "bg"), ("mu", "bg"), ("ac", "bg"), ("on", "ac"), ("er", "bg"), ("fg", "sf")]
    ratios = {f"{a}/{b}": round(contrast(colours[a], colours[b]), 2) for a, b in pairs}
    assert all(ratio >= 4.5 for ratio in ratios.values()), ratios
    context.close()


def test_data_theme_overrides_the_system_preference(browser, demo: Demo) -> None:
    context = browser.new_context(color_scheme="light")
    page = context.new_page()
    page.goto(demo.page() + "?theme=dark")
    shadow(page, "form.cs-form").wait_for()
    assert page.evaluate(THEME) == "dark"
    background = shadow(page, ".cs").evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgba(0, 0, 0, 0)"  # the page's own background shows through
    page.goto(demo.page())
    shadow(page, "form.cs-form").wait_for()
    assert page.evaluate(THEME) == "light"
    page.emulate_media(color_scheme="dark")  # follows the system while no data-theme is set
    page.wait_for_function(f"{THEME} === 'dark'")
    context.close()


def test_host_page_styles_do_not_reach_the_widget(page, demo: Demo) -> None:
    demo.post("Styled by the widget alone")
    page.goto(demo.page())
    reply = shadow(page, "button", has_text="Reply")
    page.evaluate(
        "document.body.append(Object.assign(document.createElement('button'), {id: 'x'}))"
    )
    assert page.locator("#x").evaluate("el => getComputedStyle(el).backgroundColor") == (
        "rgb(255, 105, 180)"
    )
    assert reply.evaluate("el => getComputedStyle(el).backgroundColor") != "rgb(255, 105, 180)"


def test_data_lang_switches_the_catalogue(page, demo: Demo) -> None:
    demo.post("Hallo")
    page.goto(demo.page() + "?lang=de")
    shadow(page, ".cs-count", has_text="1 Antwort").wait_for()
    assert shadow(page, "button[type=submit]").inner_text() == "Kommentar senden"
    assert shadow(page, ".cs-c button", has_text="Antworten").count() == 1
    assert shadow(page, ".cs").get_attribute("lang") == "de"


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:  # noqa: F811
    return {**app_config, "THREAD_PAGE_SIZE": 2}


def test_long_threads_load_progressively(page, demo: Demo) -> None:
    for number in range(1, 6):
        demo.post(f"Comment number {number}")
    page.goto(demo.page())
    shadow(page, ".cs-list > .cs-c", has_text="number 2").wait_for()
    assert shadow(page, ".cs-list > .cs-c").count() == 2
    more = shadow(page, "button.cs-more")
    assert more.inner_text() == "Show 3 more comments"
    more.click()
    shadow(page, ".cs-list > .cs-c", has_text="number 4").wait_for()
    assert more.inner_text() == "Show 1 more comment"
    assert focused_text(page).startswith("Bob")
    more.click()
    shadow(page, ".cs-list > .cs-c", has_text="number 5").wait_for()
    assert more.is_hidden()
    texts = shadow(page, ".cs-list > .cs-c .cs-b").all_text_contents()
    assert texts == [f"Comment number {n}" for n in range(1, 6)]


def focused_text(page) -> str:
    return page.evaluate("document.querySelector('#comments').shadowRoot.activeElement.textContent")


def test_index_page_counts_come_from_one_request(page, demo: Demo) -> None:
    demo.post("one")
    demo.post("two")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(demo.blog + "/")
    counts = page.locator("[data-comments-count]")
    page.wait_for_function(
        "document.querySelector('[data-comments-count]').textContent === '2 comments'"
    )
    assert counts.all_inner_texts() == ["2 comments", "No comments"]
    assert len([url for url in requests if "/counts?" in url]) == 1
    assert page.console_errors == []


def test_mentions_are_listed_apart_or_among_comments(page, demo: Demo) -> None:
    demo.post("A comment")
    add_mention(demo, title="Linked from elsewhere")
    page.goto(demo.page())
    mention = shadow(page, ".cs-ms .cs-mn")
    mention.get_by_role("link", name="Linked from elsewhere").wait_for()
    assert mention.get_by_text("replied").is_visible()
    heading = shadow(page, ".cs-count").inner_text()
    assert heading == "2 responses to “Hello, world · Demo blog”"
    update_site(get_site("demo"), mentions_display=MentionsDisplay.INLINE)
    db.session.commit()
    page.reload()
    shadow(page, ".cs-list .cs-mn", has_text="Linked from elsewhere").wait_for()
    assert shadow(page, ".cs-ms").is_hidden()


def test_init_is_idempotent_and_takes_target_and_url_options(page, demo: Demo) -> None:
    demo.post("On the second post", path="/posts/self-hosting/")
    page.goto(demo.page())
    shadow(page, "form.cs-form").wait_for()
    page.add_script_tag(url=f"{demo.service}/embed.js")  # the same tag twice: still one widget
    page.evaluate(
        """(url) => { commentsvc.init({site: 'demo'});
        const other = Object.assign(document.createElement('section'), {id: 'elsewhere'});
        document.body.append(other);
        commentsvc.init({site: 'demo', target: '#elsewhere', url}); }""",
        demo.page("/posts/self-hosting/"),
    )
    page.locator("#elsewhere .cs-b", has_text="On the second post").wait_for()
    assert shadow(page, "form.cs-form").count() == 1
    assert page.evaluate("Object.keys(window).filter((k) => /commentsvc/i.test(k))") == [
        "commentsvc"
    ]


ADD_COUNTS = """([service, site, urls]) => {
  for (const url of urls) {
    const span = Object.assign(document.createElement('span'), {className: 'extra'});
    span.textContent = '-'; span.dataset.commentsCount = url; document.body.append(span); }
  const script = Object.assign(document.createElement('script'), {src: service + '/count.js'});
  script.dataset.site = site;
  document.body.append(script); }"""


def test_counts_take_relative_urls_many_pages_and_keep_placeholders_on_errors(
    page, demo: Demo
) -> None:
    demo.post("one")
    demo.post("two")
    requests: list[str] = []
    page.on("request", lambda request: "/counts?" in request.url and requests.append(request.url))
    page.goto(demo.blog + "/")
    page.wait_for_function(
        "document.querySelector('[data-comments-count]').textContent === '2 comments'"
    )
    others = [f"{demo.blog}/posts/p{number}/" for number in range(130)]
    unusable = ["http://[bad", "javascript:void(0)"]  # name no page: left as they are
    page.evaluate(ADD_COUNTS, [demo.service, "demo", ["/posts/hello-world/", *unusable, *others]])
    page.wait_for_function(
        "[...document.querySelectorAll('.extra')].slice(3).every(el => el.textContent !== '-')"
    )
    extra = page.locator(".extra").all_text_contents()
    assert extra[0] == "2 comments" and extra[1:3] == ["-", "-"]
    assert set(extra[3:]) == {"No comments"}
    assert len(requests) == 1 + 2  # the index's own request, then 131 pages in two
    page.evaluate("document.querySelectorAll('.extra').forEach(el => el.remove())")
    page.evaluate(ADD_COUNTS, [demo.service, "no-such-site", [demo.page()]])
    page.wait_for_timeout(300)
    assert page.locator(".extra").text_content() == "-"


def test_widget_needs_no_inline_style_or_script_under_a_strict_policy(
    page, demo: Demo, serve
) -> None:
    strict = serve(blog_app(demo.service, is_strict_csp=True)).url
    update_site(get_site("demo"), origins=[demo.blog, strict])
    db.session.commit()
    response = page.goto(demo.page().replace(demo.blog, strict))
    policy = response.headers["content-security-policy"]
    assert "style-src 'self';" in policy and "unsafe-inline" not in policy
    shadow(page, ".cs-count", has_text="No responses yet").wait_for()  # another origin
    submit = shadow(page, "button[type=submit]")
    assert submit.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(11, 92, 196)"
    assert shadow(page, ".cs-guest").evaluate("el => getComputedStyle(el).display") == "grid"
    assert page.console_errors == []  # no CSP violation reports


def test_a_wrong_site_name_is_explained_to_the_site_owner_in_the_console(
    page, demo: Demo, serve
) -> None:
    """The browser shows a refused cross-origin read as a bare network error: the widget says
    what to check."""
    wrong = serve(blog_app(demo.service, site="myblgo"))
    warnings: list[str] = []
    page.on("console", lambda message: message.type == "warning" and warnings.append(message.text))
    page.goto(wrong.url + "/posts/hello-world/")
    shadow(page, ".cs-count", has_text="The comments could not be loaded.").wait_for()
    page.wait_for_function("() => true")  # the warning is logged with the heading
    [warning] = [text for text in warnings if text.startswith("commentsvc:")]
    assert 'data-site="myblgo"' in warning and wrong.url in warning
    assert "commentsvc site list" in warning
