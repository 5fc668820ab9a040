"""``GET /api/openapi.json``: the OpenAPI 3 description of every JSON endpoint.

Written by hand, next to the views it describes, and checked against the running app by a
schemathesis fuzz in the test suite, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from typing import Any

from commentsvc.api import bp

NULLABLE_STRING = {"type": "string", "nullable": True}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problems(*statuses: int) -> dict[str, Any]:
    return {str(status): {"$ref": "#/components/responses/Problem"} for status in statuses}


SITE_PARAMETER = {
    "name": "site_name",
    "in": "path",
    "required": True,
    "description": "The site's short name (data-site).",
    "schema": {"type": "string"},
}
PAGE_URL_PARAMETER = {
    "name": "url",
    "in": "query",
    "required": True,
    "schema": {"type": "string", "minLength": 1},
}
COMMENT_ID = {"name": "comment_id", "in": "path", "required": True, "schema": {"type": "integer"}}
AUTHORS_ONLY = [{"bearer": []}, {"editToken": []}]
SORTS = ["oldest", "newest", "top"]
VOTER_HEADER = {
    "name": "X-Commentsvc-Voter",
    "in": "header",
    "description": "A guest's browser: the random token it keeps (22-128 URL-safe characters); "
    "only a keyed hash of it is stored.",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{22,128}$"},
}

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "code": {"type": "string", "description": "Stable machine-readable error code."},
            "detail": {"type": "string", "description": "What went wrong, for a person."},
            "field": {"type": "string", "description": "The request field at fault, if one."},
            "request_id": {
                "type": "string",
                "description": "The request's id, as in its X-Request-ID header and the logs.",
            },
        },
    },
    "Author": {
        "type": "object",
        "required": ["name", "avatar", "url", "provider"],
        "properties": {
            "name": NULLABLE_STRING,
            "avatar": NULLABLE_STRING,
            "url": NULLABLE_STRING,
            "provider": NULLABLE_STRING,
        },
    },
    "Comment": {
        "type": "object",
        "required": ["id", "parent", "author", "html", "created", "edited", "status", "replies"],
        "properties": {
            "id": {"type": "integer"},
            "parent": {"type": "integer", "nullable": True},
            "depth": {"type": "integer"},
            "author": _ref("Author"),
            "html": {"type": "string", "description": "Sanitised HTML of the Markdown body."},
            "created": {"type": "string", "format": "date-time"},
            "edited": {"type": "string", "format": "date-time", "nullable": True},
            "status": {"type": "string", "enum": ["visible", "pending", "spam", "deleted"]},
            "score": {
                "type": "integer",
                "description": "Readers' votes; other readers see a vote within the site's "
                "VOTE_SHOW_SECONDS, the voter at once (the PUT's answer).",
            },
            "pinned": {"type": "boolean", "description": "Pinned by an operator: shown first."},
            "replies": {"type": "array", "items": _ref("Comment")},
        },
    },
    "PostedComment": {
        "allOf": [
            _ref("Comment"),
            {
                "type": "object",
                "properties": {
                    "editable_until": {"type": "string", "format": "date-time"},
                    "edit_token": {
                        "type": "string",
                        "description": "Guests only: send as X-Edit-Token to edit or delete.",
                    },
                    "edit_held": {
                        "type": "boolean",
                        "description": "After an edit: the new text (in html) waits for a "
                        "moderator; readers still see the approved text.",
                    },
                },
            },
        ]
    },
    "Mention": {
        "type": "object",
        "required": ["id", "kind", "type", "source", "title", "excerpt", "author", "created"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["pingback", "webmention", "trackback"]},
            "type": {"type": "string", "enum": ["reply", "like", "repost", "mention"]},
            "source": {"type": "string"},
            "title": NULLABLE_STRING,
            "excerpt": NULLABLE_STRING,
            "author": {
                "type": "object",
                "nullable": True,
                "properties": {
                    "name": NULLABLE_STRING,
                    "url": NULLABLE_STRING,
                    "photo": NULLABLE_STRING,
                },
            },
            "created": {"type": "string", "format": "date-time", "nullable": True},
        },
    },
    "Thread": {
        "type": "object",
        "required": ["thread", "comments", "mentions", "next"],
        "properties": {
            "thread": {
                "type": "object",
                "required": ["id", "url", "title", "count"],
                "properties": {
                    "id": {"type": "integer", "nullable": True},
                    "url": {"type": "string"},
                    "title": NULLABLE_STRING,
                    "count": {"type": "integer"},
                },
            },
            "site": {
                "type": "object",
                "description": "Settings the widget needs: among them `sort` (the site's "
                "default order) and `votes` (whether readers may vote).",
            },
            "sort": {"type": "string", "enum": SORTS, "description": "The order applied."},
            "comments": {"type": "array", "items": _ref("Comment")},
            "mentions": {"type": "array", "items": _ref("Mention")},
            "next": {
                "type": "string",
                "nullable": True,
                "description": "Cursor for the next page (pass as `after`), or null.",
            },
            "total_top_level": {"type": "integer"},
        },
    },
    "NewComment": {
        "type": "object",
        "required": ["url", "body"],
        "properties": {
            "url": {
                "type": "string",
                "minLength": 1,
                "description": "The page's URL, on one of the site's origins.",
            },
            "body": {
                "type": "string",
                "pattern": "\\S",
                "description": "Markdown; raw HTML is shown as text. Not only white space.",
            },
            "parent": {"type": "integer", "description": "Id of the comment replied to."},
            "name": {"type": "string", "maxLength": 80},
            "email": {
                "type": "string",
                "maxLength": 254,
                "description": "One address (no lists or display names).",
            },
            "website": {"type": "string", "maxLength": 512},
            "notify": {
                "type": "boolean",
                "description": "Email me replies (needs email). A guest's address first gets "
                "a mail with a link to confirm; nothing else is sent to it until then.",
            },
            "title": {
                "type": "string",
                "description": "Ignored: a thread's title is read from the page itself.",
            },
            "hp": {"type": "string", "description": "Honeypot: leave empty."},
            "elapsed_ms": {"type": "integer", "description": "Time spent on the form."},
        },
    },
    "CommentEdit": {
        "type": "object",
        "required": ["body"],
        "properties": {"body": {"type": "string", "pattern": "\\S"}},
    },
    "Me": {
        "type": "object",
        "required": ["authenticated"],
        "properties": {
            "authenticated": {"type": "boolean"},
            "site": {"type": "string", "description": "With a widget token: its site."},
            "operator": {
                "type": "boolean",
                "description": "With a widget token: the reader operates that site.",
            },
            "account": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "avatar": NULLABLE_STRING,
                    "providers": {"type": "array", "items": {"type": "string"}},
                    "operator_of": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
    "Token": {
        "type": "object",
        "required": ["token", "expires_at"],
        "properties": {
            "token": {"type": "string"},
            "expires_at": {"type": "string", "format": "date-time"},
        },
    },
    "WebmentionStatus": {
        "type": "object",
        "required": ["status", "source", "target"],
        "properties": {
            "status": {"type": "string", "enum": ["pending", "verified", "rejected"]},
            "verification": {"type": "string"},
            "reason": NULLABLE_STRING,
            "reason_code": NULLABLE_STRING,
            "moderation": {"type": "string", "enum": ["visible", "pending", "spam", "deleted"]},
            "source": {"type": "string"},
            "target": {"type": "string"},
            "type": {"type": "string", "enum": ["reply", "like", "repost", "mention"]},
            "updated": {"type": "string", "format": "date-time"},
        },
    },
    "VoteValue": {
        "type": "object",
        "required": ["value"],
        "properties": {"value": {"type": "integer", "enum": [0, 1]}},
    },
    "VoteResult": {
        "type": "object",
        "required": ["id", "score", "value"],
        "properties": {
            "id": {"type": "integer"},
            "score": {"type": "integer"},
            "value": {"type": "integer", "enum": [0, 1]},
        },
    },
    "PinValue": {
        "type": "object",
        "required": ["pinned"],
        "properties": {"pinned": {"type": "boolean"}},
    },
    "PinResult": {
        "type": "object",
        "required": ["id", "pinned"],
        "properties": {"id": {"type": "integer"}, "pinned": {"type": "boolean"}},
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string"}, "checks": {"type": "object"}},
    },
}

PATHS: dict[str, Any] = {
    "/api/sites/{site_name}/thread": {
        "get": {
            "summary": "Read a page's thread: visible comments (replies nested) and mentions",
            "parameters": [
                SITE_PARAMETER,
                PAGE_URL_PARAMETER,
                {
                    "name": "sort",
                    "in": "query",
                    "description": "Order of top-level comments (pinned ones first in every "
                    "order; replies stay under their parent). Default: the site's.",
                    "schema": {"type": "string", "enum": SORTS},
                },
                {
                    "name": "after",
                    "in": "query",
                    "description": "The `next` of the page before, in the same sort.",
                    "schema": {"type": "string", "pattern": "^p?[0-9]{1,19}(\\.[0-9]{1,19})?$"},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                },
            ],
            "responses": {
                "200": _json(_ref("Thread"), "The thread (one page of top-level comments)."),
                "304": {"description": "Not modified (If-None-Match matched the ETag)."},
                **_problems(400, 404),
            },
        }
    },
    "/api/sites/{site_name}/thread/events": {
        "get": {
            "summary": "A page's thread as it changes: a Server-Sent Events stream (docs/live.md)",
            "description": "Events `comment`, `mention`, `edit` and `delete` carry the same "
            'sanitised JSON as the thread; `reload` (with `{"revision"}`) asks for the thread '
            "again. The event id is the thread revision. Held comments are never sent.",
            "parameters": [
                SITE_PARAMETER,
                PAGE_URL_PARAMETER,
                {
                    "name": "since",
                    "in": "query",
                    "description": "The `thread.revision` of the thread JSON already shown: "
                    "the stream starts with what came after it.",
                    "schema": {"type": "integer", "minimum": 0},
                },
                {
                    "name": "Last-Event-ID",
                    "in": "header",
                    "description": "Sent by the browser when it reconnects; wins over `since`.",
                    "schema": {"type": "integer", "minimum": 0},
                },
            ],
            "responses": {
                "200": {
                    "description": "The stream, open until the reader leaves.",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                **_problems(400, 404, 503),
            },
        }
    },
    "/api/sites/{site_name}/counts": {
        "get": {
            "summary": "Visible responses of many pages in one call",
            "parameters": [
                SITE_PARAMETER,
                {
                    "name": "url",
                    "in": "query",
                    "required": True,
                    "schema": {
                        "type": "array",
                        "items": {"type": "string", "minLength": 1},
                        "maxItems": 100,
                    },
                    "style": "form",
                    "explode": True,
                },
            ],
            "responses": {
                "200": _json(
                    {"type": "object", "additionalProperties": {"type": "integer"}},
                    "Each URL as given, with its count.",
                ),
                **_problems(400, 404),
            },
        }
    },
    "/api/sites/{site_name}/comments": {
        "post": {
            "summary": "Post a comment (as a guest where the site allows, or signed in)",
            "parameters": [SITE_PARAMETER],
            "security": [{}, {"bearer": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("NewComment")}},
            },
            "responses": {
                "201": _json(_ref("PostedComment"), "Posted and visible."),
                "202": _json(_ref("PostedComment"), "Posted and held for moderation."),
                **_problems(400, 401, 403, 404, 413, 415, 429),
            },
        }
    },
    "/api/sites/{site_name}/preview": {
        "post": {
            "summary": "Render a body as posting would store it (the widget's preview)",
            "parameters": [SITE_PARAMETER],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("CommentEdit")}},
            },
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["html"],
                        "properties": {"html": {"type": "string"}},
                    },
                    "The sanitised HTML.",
                ),
                **_problems(400, 404, 413, 415, 429),
            },
        }
    },
    "/api/sites/{site_name}/outbound/ping": {
        "post": {
            "summary": "Ask for a pass over the site's feeds: new and changed posts send their "
            "webmentions and pingbacks (a static-site build calls it after deploying)",
            "description": "Authorised by the site's own token (`commentsvc site token NAME`), "
            "never by a reader's sign-in token. The work runs as jobs.",
            "parameters": [SITE_PARAMETER],
            "security": [{"siteToken": []}],
            "responses": {
                "202": _json(
                    {
                        "type": "object",
                        "required": ["site", "feeds", "status"],
                        "properties": {
                            "site": {"type": "string"},
                            "feeds": {"type": "integer", "description": "Feeds to be read."},
                            "status": {"type": "string", "enum": ["accepted"]},
                        },
                    },
                    "The pass is queued.",
                ),
                **_problems(401, 403, 404, 409, 429),
            },
        }
    },
    "/api/comments/{comment_id}": {
        "patch": {
            "summary": "Edit one's own comment within the site's edit window",
            "parameters": [COMMENT_ID],
            "security": AUTHORS_ONLY,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("CommentEdit")}},
            },
            "responses": {
                "200": _json(_ref("PostedComment"), "The edited comment, shown as edited."),
                "202": _json(
                    _ref("PostedComment"),
                    "The edit is held for moderation (status pending, edit_held on a visible "
                    "comment); readers keep seeing the approved text.",
                ),
                **_problems(400, 403, 404, 413, 415),
            },
        },
        "delete": {
            "summary": "Delete one's own comment within the site's edit window",
            "parameters": [COMMENT_ID],
            "security": AUTHORS_ONLY,
            "responses": {"204": {"description": "Deleted."}, **_problems(403, 404)},
        },
    },
    "/api/comments/{comment_id}/vote": {
        "put": {
            "summary": "Vote for a comment (value 1) or take the vote back (value 0)",
            "description": "One vote per account, and per guest browser (its random token in "
            "X-Commentsvc-Voter) and per guest address: a request with neither a sign-in nor "
            "that header is refused (400). Not on one's own comment (403), "
            "nor on a held or deleted one (404), nor where the site has votes off (403).",
            "parameters": [COMMENT_ID, VOTER_HEADER],
            "security": [{}, {"bearer": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("VoteValue")}},
            },
            "responses": {
                "200": _json(_ref("VoteResult"), "The comment's score and the voter's vote."),
                **_problems(400, 401, 403, 404, 415, 429),
            },
        }
    },
    "/api/comments/{comment_id}/pin": {
        "put": {
            "summary": "Pin a top-level comment first in its thread, or unpin it (operators)",
            "parameters": [COMMENT_ID],
            "security": [{"bearer": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("PinValue")}},
            },
            "responses": {
                "200": _json(_ref("PinResult"), "The comment's pinned state now."),
                **_problems(400, 401, 403, 404, 415, 429),
            },
        }
    },
    "/api/me": {
        "get": {
            "summary": "Who the caller is",
            "security": [{}, {"bearer": []}],
            "responses": {"200": _json(_ref("Me"), "The signed-in account, if any.")},
        }
    },
    "/api/auth/refresh": {
        "post": {
            "summary": "Renew the widget's bearer token before it expires",
            "security": [{"bearer": []}],
            "responses": {"200": _json(_ref("Token"), "A fresh token."), **_problems(401)},
        }
    },
    "/api/auth/logout": {
        "post": {
            "summary": "Sign out: revoke every token and session of the account",
            "security": [{"bearer": []}],
            "responses": {"204": {"description": "Revoked."}, **_problems(401)},
        }
    },
    "/webmention/{site_name}/status/{token}": {
        "get": {
            "summary": "Where the check of a webmention stands (the Location of its 201)",
            "parameters": [
                SITE_PARAMETER,
                {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}},
            ],
            "responses": {
                "200": _json(_ref("WebmentionStatus"), "The check's state and reason."),
                **_problems(404),
            },
        }
    },
    "/moderate/count.json": {
        "get": {
            "summary": "Pending items across the signed-in operator's sites (session cookie)",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["pending"],
                        "properties": {"pending": {"type": "integer"}},
                    },
                    "The queue's size, for a badge.",
                ),
                **_problems(401, 403),
            },
        }
    },
    "/healthz": {
        "get": {
            "summary": "The process is up",
            "responses": {"200": _json(_ref("Health"), "Up.")},
        }
    },
    "/readyz": {
        "get": {
            "summary": "The database and the queue answer",
            "responses": {
                "200": _json(_ref("Health"), "Ready."),
                "503": _json(_ref("Health"), "Not ready; `checks` says what is down."),
            },
        }
    },
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "commentsvc",
            "version": "1",
            "description": "Comments, pingbacks and webmentions for any web page. Errors are "
            "application/problem+json (RFC 9457).",
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": {
                "Problem": {
                    "description": "The request cannot be served; `detail` says why.",
                    "content": {"application/problem+json": {"schema": _ref("Problem")}},
                }
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "siteToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A site's token from `commentsvc site token NAME`.",
                },
                "editToken": {"type": "apiKey", "in": "header", "name": "X-Edit-Token"},
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document() -> dict[str, Any]:
    return document()
