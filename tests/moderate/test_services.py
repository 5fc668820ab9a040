"""The moderation services refuse an actor who does not moderate the item's site, whatever
the caller checked before (a second lock behind the views' lookups)."""

from __future__ import annotations

import pytest

from commentsvc.errors import Forbidden
from commentsvc.extensions import db
from commentsvc.models import Ban, CommentStatus
from commentsvc.services.bans import create_ban, lift_ban
from commentsvc.services.moderation import Decision, decide, edit_comment, reply_as_site
from commentsvc.services.policy import current_policy, update_policy
from tests.moderate.conftest import add_comment, add_mention


def test_services_refuse_an_operator_of_another_site(site, other_operator) -> None:
    comment = add_comment(site, "not yours")
    mention = add_mention(site)
    ban = Ban(site_id=site.id, email="x@example.net")
    db.session.add(ban)
    db.session.commit()
    attempts = [
        lambda: decide(other_operator, [comment], Decision.APPROVE),
        lambda: decide(other_operator, [mention], Decision.SPAM),
        lambda: edit_comment(other_operator, comment, "changed"),
        lambda: reply_as_site(other_operator, comment, "hello", "ff" * 16),
        lambda: create_ban(other_operator, site, email="y@example.net"),
        lambda: lift_ban(other_operator, ban),
        lambda: update_policy(other_operator, site, current_policy(site)),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden):
            attempt()
    db.session.rollback()
    assert comment.status == CommentStatus.PENDING
    assert comment.body_markdown == "not yours"
