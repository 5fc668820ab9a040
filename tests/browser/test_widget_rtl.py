"""Right-to-left: Arabic and Hebrew threads, and any page written right to left, lay the
widget out from the right (direction, reply indentation, text alignment)."""

from __future__ import annotations

import pytest

from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    add_comments,
    app_config,
    database_url,
    demo_fixture,
    shadow,
)

pytestmark = pytest.mark.browser

GEOMETRY = """([parent, reply]) => { const root = document.querySelector('#comments').shadowRoot;
  const box = (id) => root.getElementById(id).querySelector('.cs-b').getBoundingClientRect();
  const style = getComputedStyle(root.getElementById(reply));
  return {parent: box(parent).toJSON(), reply: box(reply).toJSON(),
          direction: style.direction, align: style.textAlign}; }"""


def replies(demo: Demo) -> tuple[str, str]:
    (root,) = add_comments(demo, 1)
    (reply,) = add_comments(demo, 1, parent_id=root)
    return f"comment-{root}", f"comment-{reply}"


@pytest.mark.parametrize("lang", ["ar", "he"])
def test_a_right_to_left_language_lays_the_thread_out_from_the_right(
    page, demo: Demo, lang: str
) -> None:
    parent, reply = replies(demo)
    page.goto(demo.page() + f"?lang={lang}")
    shadow(page, f"#{reply}").wait_for()
    assert shadow(page, ".cs").get_attribute("dir") == "rtl"
    found = page.evaluate(GEOMETRY, [parent, reply])
    assert found["direction"] == "rtl" and found["align"] == "start"
    # The reply is indented from the right: its right edge moves left, its left edge stays.
    assert found["reply"]["right"] < found["parent"]["right"] - 10
    assert abs(found["reply"]["left"] - found["parent"]["left"]) < 2
    avatar = shadow(page, f"#{parent} .cs-av").bounding_box()
    name = shadow(page, f"#{parent} .cs-n").bounding_box()
    assert avatar["x"] > name["x"]  # the avatar leads, on the right
    assert page.console_errors == []


def test_a_right_to_left_page_turns_the_widget_too(page, demo: Demo) -> None:
    parent, reply = replies(demo)
    page.goto(demo.page())
    shadow(page, f"#{reply}").wait_for()
    before = page.evaluate(GEOMETRY, [parent, reply])
    assert before["direction"] == "ltr"
    assert before["reply"]["left"] > before["parent"]["left"] + 10
    page.evaluate("document.documentElement.dir = 'rtl'")  # the page's own direction
    after = page.evaluate(GEOMETRY, [parent, reply])
    assert after["direction"] == "rtl"
    assert after["reply"]["right"] < after["parent"]["right"] - 10
