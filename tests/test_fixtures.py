"""The shared fixtures work: a live app server and real Chromium reach each other."""

from __future__ import annotations

import pytest


@pytest.mark.browser
def test_browser_loads_live_app(app, serve, page) -> None:
    server = serve(app)
    response = page.goto(f"{server.url}/healthz")
    assert response is not None and response.status == 200
    assert '"status":"ok"' in page.content().replace(" ", "")
