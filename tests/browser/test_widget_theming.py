"""Theming through the shadow boundary: the page's font on request, custom properties."""

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

ADD_WIDGET = """([service, font]) => {
  const el = Object.assign(document.createElement('div'), {id: 'themed'});
  el.style.fontSize = '21px';
  el.style.setProperty('--commentsvc-accent', 'rgb(122, 46, 142)');
  document.body.append(el);
  const script = document.createElement('script');
  script.src = service + '/embed.js';
  Object.assign(script.dataset, {site: 'demo', target: 'themed', font});
  document.body.append(script); }"""
STYLE = """(el) => { const style = getComputedStyle(el);
  return [style.fontFamily, style.fontSize]; }"""


def test_data_font_inherit_takes_the_pages_font_and_properties_pass_through(
    page, demo: Demo
) -> None:
    page.goto(demo.page())
    own_font = shadow(page, ".cs").evaluate(STYLE)
    assert own_font[0].startswith("system-ui") and own_font[1] == "16px"
    page_font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert page_font != own_font[0]
    page.evaluate(ADD_WIDGET, [demo.service, "inherit"])
    themed = page.locator("#themed .cs")
    themed.locator("form.cs-form").wait_for()
    assert themed.evaluate(STYLE) == [page_font, "21px"]
    submit = themed.locator("button[type=submit]")
    assert submit.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(122, 46, 142)"
