"""Readers' votes on comments, and operators pinning them (``PUT`` on a comment's URL)."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from sqlalchemy.orm import joinedload

from commentsvc.api import bp
from commentsvc.api.input import json_object
from commentsvc.auth.tokens import current_account
from commentsvc.clientip import client_network, ip_hash, network_hash
from commentsvc.errors import InvalidInput, NotFound, Unauthorized
from commentsvc.extensions import db, limiter
from commentsvc.models import Account, Comment, CommentStatus
from commentsvc.models.base import MAX_ID
from commentsvc.services.pins import set_pinned
from commentsvc.services.votes import VOTER_TOKEN, Voter, cast_vote, voter_token_hash

VOTER_HEADER = "X-Commentsvc-Voter"


def _vote_limit() -> str:
    return current_app.config["RATELIMIT_VOTE"]


def _vote_ip_limit() -> str:
    return current_app.config["RATELIMIT_VOTE_PER_IP"]


def _voter_key() -> str:
    """Signed-in readers are limited per account, guests per address (an IPv6 client's /64:
    it can pick any address in it)."""
    account = current_account()
    return f"account:{account.id}" if account else f"ip:{client_network()}"


def request_voter_hash() -> str | None:
    """The keyed hash of this request's voter token; None without one. A malformed token is
    refused (InvalidInput)."""
    token = request.headers.get(VOTER_HEADER)
    return voter_token_hash(token) if token is not None else None


def posting_voter_hash() -> str | None:
    """For a guest's new comment: the hash of the voter token its browser sent, so that browser
    cannot vote for it; None without a well-formed one (posting does not depend on it)."""
    token = request.headers.get(VOTER_HEADER)
    return voter_token_hash(token) if token and VOTER_TOKEN.fullmatch(token) else None


def _voter() -> Voter:
    account = current_account()
    if account is not None:  # its browser's token, when it sends one, only marks what it posted
        return Voter(account, posting_voter_hash(), ip_hash(), network_hash())
    voter_hash = request_voter_hash()
    if voter_hash is None:
        raise InvalidInput(
            f"Sign in, or send this browser's voter token in the {VOTER_HEADER} header.",
            field=VOTER_HEADER,
        )
    return Voter(None, voter_hash, ip_hash(), network_hash())


def _strict_value(data: dict[str, Any], name: str, allowed: tuple[Any, ...]) -> Any:
    """``data[name]``, exactly one of ``allowed`` (a JSON true is not 1, "1" is not 1)."""
    value = data.get(name)
    if not any(type(value) is type(choice) and value == choice for choice in allowed):
        shown = " or ".join(str(choice).lower() for choice in allowed)
        raise InvalidInput(f"'{name}' must be {shown}.", field=name)
    return value


@bp.put("/comments/<int:comment_id>/vote")
@limiter.limit(_vote_limit, key_func=_voter_key)
@limiter.limit(_vote_ip_limit, key_func=client_network)
def vote(comment_id: int) -> dict[str, int]:
    """``{"value": 1}`` votes for the comment, ``{"value": 0}`` takes the vote back."""
    value = _strict_value(json_object(request), "value", (1, 0))
    cast = cast_vote(comment_id, _voter(), value)
    db.session.commit()
    return {"id": cast.comment_id, "score": cast.score, "value": cast.value}


def _is_shown_to(account: Account, comment: Comment) -> bool:
    """A held, spam or deleted comment exists only for its site's operators: anyone else is
    told there is none (a 403 would confirm the id), as a read would."""
    return comment.status == CommentStatus.VISIBLE or account.operates(comment.thread.site_id)


@bp.put("/comments/<int:comment_id>/pin")
@limiter.limit(_vote_limit, key_func=_voter_key)
def pin(comment_id: int) -> dict[str, Any]:
    """``{"pinned": true}`` puts the comment first in its thread; operators of its site only."""
    is_pinned = _strict_value(json_object(request), "pinned", (True, False))
    account = current_account()
    if account is None:
        raise Unauthorized("Sign in as an operator of this site to pin comments.")
    comment = None
    if 0 < comment_id <= MAX_ID:
        comment = db.session.scalar(
            db.select(Comment).options(joinedload(Comment.thread)).where(Comment.id == comment_id)
        )
    if comment is None or not _is_shown_to(account, comment):
        raise NotFound(f"There is no comment {comment_id}.")
    set_pinned(account, comment, is_pinned)
    db.session.commit()
    return {"id": comment_id, "pinned": is_pinned}
