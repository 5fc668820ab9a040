"""Property-based fuzz of the API from its own OpenAPI document: no 5xx, no response that
breaks the documented schema, on both databases."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from commentsvc.extensions import db
from commentsvc.services.comments import post_comment
from commentsvc.services.drafts import CommentDraft

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(app, site):
    draft = CommentDraft(
        url="https://blog.example.org/p",
        body_markdown="seed",
        body_html="<p>seed</p>",
        parent_id=None,
        author_name="Seed",
        author_email=None,
        author_website=None,
        is_notify=False,
        ip_hash="0" * 32,
    )
    with app.test_request_context():
        post_comment(site, draft, None)
    db.session.commit()
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.exclude(path="/api/sites/{site_name}/thread/events").parametrize()  # a stream: no end
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_never_fails_and_keeps_to_its_schema(case) -> None:
    case.call_and_validate(checks=CHECKS)


def test_openapi_document_lists_every_json_endpoint(client) -> None:
    paths = client.get("/api/openapi.json").json["paths"]
    for path in (
        "/api/sites/{site_name}/thread",
        "/api/sites/{site_name}/thread/events",
        "/api/sites/{site_name}/comments",
        "/api/me",
    ):
        assert path in paths
