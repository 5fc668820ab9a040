"""The widget in real Chromium on the demo blog: posting, replying, threads, counts."""

from __future__ import annotations

import pytest

from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    app_config,
    database_url,
    demo_fixture,
    shadow,
)

pytestmark = pytest.mark.browser


def write_comment(page, text: str, name: str | None = None, scope: str = "") -> None:
    form = shadow(page, f"{scope} form.cs-form").first
    form.locator("textarea").fill(text)
    if name is not None:
        form.locator("input[name=name]").fill(name)
    form.locator("button[type=submit]").click()


def test_guest_comment_and_reply_appear_without_reload(page, demo: Demo) -> None:
    page.goto(demo.page())
    heading = shadow(page, ".cs-count")
    heading.filter(has_text="No responses yet").wait_for()
    write_comment(page, "First! **Nice** post.", name="Ann")
    comment = shadow(page, ".cs-list > .cs-c").first
    comment.locator(".cs-b strong", has_text="Nice").wait_for()
    assert comment.locator(".cs-n").first.text_content() == "Ann"
    time = comment.locator("time").first
    assert time.text_content() == "now" and time.get_attribute("datetime").endswith("Z")
    assert time.get_attribute("title")  # the exact time, on hover
    avatar = comment.locator("img.cs-av").first.get_attribute("src")
    assert avatar.startswith(f"{demo.service}/avatar/")  # an identicon, no third party
    comment.get_by_role("button", name="Reply").click()
    reply_form = comment.locator("form.cs-form")
    reply_form.locator("textarea").fill("Replying to myself.")
    reply_form.locator("button[type=submit]").click()
    comment.locator(".cs-r .cs-b", has_text="Replying to myself.").wait_for()
    assert heading.inner_text() == "2 responses"
    assert shadow(page, "[role=status]").text_content() in {"", "Your comment was published."}
    page.reload()
    shadow(page, ".cs-list > .cs-c .cs-r .cs-c").wait_for()
    assert page.console_errors == []


def test_relative_times_age_while_the_page_stays_open(page, demo: Demo) -> None:
    page.clock.install()
    demo.post("Posted just now")
    page.goto(demo.page())
    time = shadow(page, ".cs-c time").first
    time.filter(has_text="now").wait_for()
    page.clock.fast_forward("03:00")
    time.filter(has_text="3 minutes ago").wait_for()
