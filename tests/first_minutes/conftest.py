"""Fixtures for the first-minutes tests: a sign-in popup's forms submitted as a browser does."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

SITE_ORIGIN = "https://blog.example.org"  # the `site` fixture's origin
POPUP_QUERY = f"site=blog&origin={SITE_ORIGIN}"

FormPost = Callable[[str, dict[str, str]], TestResponse]


@pytest.fixture
def form_post(client: FlaskClient) -> FormPost:
    """Fetch the form at ``path``, then post ``data`` to it with the page's CSRF token."""

    def post(path: str, data: dict[str, str]) -> TestResponse:
        html = client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return client.post(path, data={**data, "csrf_token": match.group(1)})

    return post
