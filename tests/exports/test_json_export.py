"""The JSON export: everything a site holds, no secrets, valid against the published schema,
the same bytes every time, streamed, and read back by the json reader into the same records."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema

from commentsvc.exports.json import export_json
from commentsvc.imports.json_format import read_json
from commentsvc.imports.records import (
    ImportedAccount,
    ImportedComment,
    ImportedMention,
    ImportedThread,
)

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "export.schema.json"


def exported(site) -> str:
    return "".join(export_json(site))


def test_export_validates_against_the_published_schema(full_site) -> None:
    document = json.loads(exported(full_site))
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert sorted(error.message for error in validator.iter_errors(document)) == []


def test_export_holds_threads_comments_mentions_and_accounts(full_site) -> None:
    document = json.loads(exported(full_site))

    assert document["site"] == {"name": "blog", "origins": ["https://blog.example.org"]}
    spring, about = document["threads"]  # by URL
    assert spring["url"] == "https://blog.example.org/2021/spring"
    assert spring["title"].startswith("Spring — a post with “quotes”")
    assert about["title"] is None
    bodies = [comment["markdown"] for comment in spring["comments"]]
    assert bodies[0].startswith("First!") and bodies[-1] == "Late, *inserted first*."
    statuses = {comment["status"] for comment in spring["comments"]}
    assert statuses == {"visible", "pending", "spam", "deleted"}
    first, reply, chained = spring["comments"][:3]
    assert first["created_at"] == "2021-03-01T12:30:15.123456Z"
    assert first["edited_at"] == "2021-03-01T13:30:15Z"
    assert first["author"]["website"] == "https://gus.example.net"
    assert (reply["parent"], chained["parent"]) == (first["key"], reply["key"])
    (account,) = document["accounts"]
    assert reply["account"] == account["key"]
    assert account["identities"] == [
        {"provider": "facebook", "subject": "fb-77"},
        {"provider": "twitter", "subject": "4242"},
    ]
    webmention, pingback = spring["mentions"]
    assert (webmention["kind"], webmention["type"]) == ("webmention", "reply")
    assert webmention["verification"] == "verified" and webmention["verified_at"]
    assert webmention["author"]["photo"] == "https://elsewhere.example/me.jpg"
    assert pingback["kind"] == "pingback"
    (trackback,) = about["mentions"]
    assert (trackback["verification"], trackback["rejection_code"]) == ("gone", "gone")
    every_source = [m["source"] for thread in document["threads"] for m in thread["mentions"]]
    assert "https://unchecked.example/" not in every_source  # never verified: no thread


def test_export_carries_no_password_hash_token_or_address_hash(full_site) -> None:
    text = exported(full_site)

    assert "argon2-secret-hash-never-exported" not in text
    assert "ab12ab12" not in text  # the comments' ip_hash
    for field in ("password", "token", "ip_hash", "held_reason", "claim_key"):
        assert f'"{field}' not in text


def test_export_is_byte_identical_each_time_one_item_per_line(full_site) -> None:
    first, second = exported(full_site), exported(full_site)

    assert first == second
    lines = first.splitlines()
    assert lines[0].startswith('{"format":"commentsvc-export","version":1,')
    assert sum('"markdown":' in line for line in lines) == 8  # each comment on its own line
    assert first.endswith("]}\n")


def test_export_is_written_in_chunks_as_it_is_read(full_site) -> None:
    chunks = list(export_json(full_site))

    assert len(chunks) > 20
    assert max(len(chunk) for chunk in chunks) < 1000


def test_json_reader_gives_back_every_exported_item_as_records(full_site) -> None:
    records = list(read_json(io.BytesIO(exported(full_site).encode())))

    kinds = [type(record).__name__ for record in records]
    assert kinds.count("ImportedAccount") == 1
    assert kinds.count("ImportedThread") == 2
    assert kinds.count("ImportedComment") == 8
    assert kinds.count("ImportedMention") == 3
    threads = {r.key: r for r in records if isinstance(r, ImportedThread)}
    for record in records:
        if isinstance(record, ImportedComment | ImportedMention):
            assert record.thread_key in threads  # a thread comes before its items
    account = next(r for r in records if isinstance(r, ImportedAccount))
    assert account.identities == (("facebook", "fb-77"), ("twitter", "4242"))
    first = next(
        r for r in records if isinstance(r, ImportedComment) and r.body.startswith("First")
    )
    assert (first.body_format, first.author_email) == ("markdown", "gus@example.net")
    assert first.created_at.microsecond == 123456 and first.created_at.utcoffset().seconds == 0
