"""A comment as submitted, validated and rendered but not yet stored; and where a request came
from, which the spam checks of an edit need as much as those of a new comment."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommentDraft:
    url: str
    body_markdown: str
    body_html: str
    parent_id: int | None
    author_name: str | None
    author_email: str | None
    author_website: str | None
    is_notify: bool
    ip_hash: str  # the client's network, hashed (clientip.network_hash): stored, banned
    honeypot: str = ""
    elapsed_ms: int | None = None
    # For a spam check while the request waits; never stored (only ``ip_hash`` is).
    client_address: str = ""
    address_hash: str | None = None  # the address alone, hashed: what older bans name
    user_agent: str = ""
    referrer: str = ""
    # A guest's browser: the keyed hash of its voter token, stored so it cannot vote for this.
    voter_hash: str | None = None


@dataclass(frozen=True)
class Sender:
    """The request behind a post or an edit; only ``ip_hash`` is ever stored."""

    ip_hash: str
    client_address: str = ""
    address_hash: str | None = None
    user_agent: str = ""
    referrer: str = ""
