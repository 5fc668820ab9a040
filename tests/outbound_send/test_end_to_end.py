"""End to end: a post of this service's site links to a page of a site on another instance
of this service; the send discovers that instance's endpoint, and the mention arrives there,
verified, with the post's title."""

from __future__ import annotations

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import Mention, SendProtocol, SendState, Verification
from commentsvc.services.outbound import queue_sends
from tests.workers.pages import link_page
from workers.outbound import send_now


def test_mention_sent_to_another_instance_arrives_verified(app, site, pages, receiver):
    endpoint = f"{receiver.url}/webmention/news"
    target = pages.html(
        "/news/story", f'<html><head><link rel="webmention" href="{endpoint}"></head></html>'
    )
    post_url = pages.html("/blog/my-post", link_page(target, title="My reply"))
    (send_id,) = queue_sends(site, post_url, [target], reason="new")
    db.session.commit()
    send = send_now(send_id)
    assert send.state == SendState.SENT and send.protocol == SendProtocol.WEBMENTION
    assert send.http_status == 201 and send.status_url.startswith("http://receiver.test/")
    with receiver.app.app_context():
        mention = db.session.scalars(sa.select(Mention)).one()
        assert (mention.source, mention.target) == (post_url, target)
        assert mention.verification == Verification.VERIFIED and mention.title == "My reply"
