"""The widget tells an author that their edit is held, while other readers keep seeing the
approved text."""

from __future__ import annotations

import pytest

from commentsvc.extensions import db
from commentsvc.models import ModerationMode
from commentsvc.services.sites import get_site, update_site
from tests.browser.test_widget_thread import write_comment
from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    app_config,
    database_url,
    demo_fixture,
    shadow,
)

pytestmark = pytest.mark.browser


def test_held_edit_is_shown_to_its_author_and_not_to_readers(browser, page, demo: Demo) -> None:
    page.goto(demo.page())
    write_comment(page, "Approved words", name="Ann")
    comment = shadow(page, ".cs-list > .cs-c").first
    comment.get_by_text("Approved words").wait_for()
    update_site(get_site("demo"), moderation=ModerationMode.ALL)
    db.session.commit()

    comment.get_by_role("button", name="Edit").click()
    comment.locator("form textarea").fill("Second thoughts")
    comment.get_by_role("button", name="Save").click()

    shadow(page, "[role=status]", has_text="Your edit is awaiting moderation").wait_for()
    comment.get_by_text("Second thoughts").wait_for()
    comment.get_by_text("awaiting moderation").wait_for()
    stranger = browser.new_context().new_page()
    stranger.goto(demo.page())
    shadow(stranger, ".cs-list > .cs-c", has_text="Approved words").wait_for()
    assert shadow(stranger, ".cs-list > .cs-c", has_text="Second thoughts").count() == 0
    stranger.context.close()
    assert page.console_errors == []
