"""The queue page: what it lists, how it filters and orders, what each item shows; the count
at a glance; the security headers of every moderation page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import g

from commentsvc.extensions import db
from commentsvc.models import CommentStatus, Identity, MentionKind, Verification
from commentsvc.models.base import utcnow
from commentsvc.moderate.security import CONTENT_SECURITY_POLICY
from tests.moderate.conftest import add_comment, add_mention, sign_in


def _keys(client, query: str = "") -> list[str]:
    html = client.get(f"/moderate/?{query}").get_data(as_text=True)
    return re.findall(r'data-key="([cm]:\d+)"', html)


def test_queue_lists_held_comments_and_verified_mentions_newest_first(
    operator_client, site
) -> None:
    old = add_comment(site, "older")
    old.created_at = utcnow() - timedelta(hours=2)
    mention = add_mention(site)
    mention.created_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    new = add_comment(site, "newer")
    add_comment(site, "already shown", status=CommentStatus.VISIBLE)
    add_mention(site, "https://unchecked.example/", verification=Verification.QUEUED)

    assert _keys(operator_client) == [f"c:{new.id}", f"m:{mention.id}", f"c:{old.id}"]
    assert _keys(operator_client, "order=oldest") == [
        f"c:{old.id}",
        f"m:{mention.id}",
        f"c:{new.id}",
    ]


def test_queue_filters_by_site_kind_status_and_text(
    operator_client, site, other_site, operator
) -> None:
    from commentsvc.services.accounts import grant_operator

    grant_operator(operator, "shop")
    db.session.commit()
    blog = add_comment(site, "about gardening")
    shop = add_comment(other_site, "about shoes", url="https://shop.example.org/")
    pingback = add_mention(site, "https://a.example/", kind=MentionKind.PINGBACK)
    webmention = add_mention(site, "https://b.example/", kind=MentionKind.WEBMENTION)
    spam = add_comment(site, "gardening spam", status=CommentStatus.SPAM)

    assert set(_keys(operator_client, "site=shop")) == {f"c:{shop.id}"}
    assert set(_keys(operator_client, "kind=comment")) == {f"c:{blog.id}", f"c:{shop.id}"}
    assert _keys(operator_client, "kind=pingback") == [f"m:{pingback.id}"]
    assert _keys(operator_client, "kind=webmention") == [f"m:{webmention.id}"]
    assert _keys(operator_client, "status=spam") == [f"c:{spam.id}"]
    assert _keys(operator_client, "q=GARDEN") == [f"c:{blog.id}"]
    assert _keys(operator_client, "q=b.example") == [f"m:{webmention.id}"]
    assert _keys(operator_client, "q=100%25") == []  # LIKE wildcards are searched literally


def test_each_item_shows_page_author_ip_hash_body_and_held_reason(
    operator_client, site, commenter
) -> None:
    db.session.add(Identity(account_id=commenter.id, provider="twitter", subject="42"))
    db.session.commit()
    add_comment(site, "Look at [this](https://x.example/) <script>alert(1)</script>",
                account=commenter, held_reason="more than 0 links")  # fmt: skip
    add_comment(site, "guest words", name="Gus <b>Guest</b>")
    add_mention(site, "https://elsewhere.example/reply")

    html = operator_client.get("/moderate/").get_data(as_text=True)

    assert 'href="https://blog.example.org/post#comment-' in html  # "view on page"
    assert "Rita Reader" in html and "account #" in html and ">twitter<" in html
    assert "Gus &lt;b&gt;Guest&lt;/b&gt;" in html and ">guest<" in html
    assert "ab12ab12ab12ab12ab12ab12ab12ab12" in html
    assert '<a href="https://x.example/" rel="nofollow ugc noopener">this</a>' in html
    assert "<script>alert" not in html
    assert "Held: more than 0 links" in html
    assert "I &lt;b&gt;agree&lt;/b&gt; with this post" in html  # a mention excerpt is text
    assert 'href="https://elsewhere.example/reply"' in html
    assert "Elsie Elsewhere" in html


def test_queue_pages_hold_fifty_items(operator_client, site) -> None:
    for n in range(52):
        add_comment(site, f"comment {n}")
    assert len(_keys(operator_client)) == 50
    assert len(_keys(operator_client, "page=2")) == 2
    html = operator_client.get("/moderate/").get_data(as_text=True)
    assert 'href="/moderate/?page=2"' in html
    assert "all 52 matching this filter" in html


def test_pending_count_is_in_the_title_and_the_json_badge(operator_client, site) -> None:
    assert operator_client.get("/moderate/count.json").json == {"pending": 0}
    assert "<title>Moderation queue" in operator_client.get("/moderate/").get_data(as_text=True)
    add_comment(site)
    add_comment(site)
    add_mention(site)
    add_comment(site, status=CommentStatus.SPAM)
    response = operator_client.get("/moderate/count.json")
    assert response.json == {"pending": 3}
    assert response.headers["Cache-Control"] == "no-store"
    for path in ["/moderate/", "/moderate/bans", "/moderate/audit"]:
        assert "<title>(3) " in operator_client.get(path).get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    ["/moderate/", "/moderate/bans", "/moderate/sites", "/moderate/sites/blog/policy",
     "/moderate/audit", "/moderate/comments/999", "/moderate/?status=bogus",
     "/moderate/static/moderate.js"],
)  # fmt: skip
def test_every_moderation_page_has_a_strict_content_security_policy(
    operator_client, site, path
) -> None:
    response = operator_client.get(path)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert response.headers["X-Frame-Options"] == "DENY"
    if response.mimetype == "text/html":
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html)  # no inline style or handler


def test_session_cookie_is_httponly_lax_and_secure_over_https(app_config) -> None:
    from tests.conftest import make_app

    https_app = make_app({**app_config, "PUBLIC_URL": "https://comments.example.org"})
    with https_app.app_context():
        from commentsvc.services.accounts import create_account
        from commentsvc.services.sites import create_site

        create_site("blog", ["https://blog.example.org"])
        account = create_account("o@blog.example.org", "Op", "x" * 12, operator_of=["blog"])
        db.session.commit()
        client = https_app.test_client()
        base = "https://comments.example.org"
        with client.session_transaction(base_url=base) as session:
            session["account_id"] = account.id
            session["generation"] = account.token_generation
        response = client.get("/moderate/", base_url=base)
        assert response.status_code == 200
        cookie = next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("session="))
        assert "; Secure" in cookie
        assert "; HttpOnly" in cookie
        assert "; SameSite=Lax" in cookie
        db.session.remove()
        db.engine.dispose()


def test_flash_message_sets_a_hardened_session_cookie(operator_client, site) -> None:
    from tests.moderate.conftest import post_form

    comment = add_comment(site)
    response = post_form(operator_client, "/moderate/act", {"do": f"approve:c:{comment.id}"})
    cookie = next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # PUBLIC_URL is http://comments.test in tests


def test_operator_signed_in_through_an_oauth_identity_is_an_operator_too(
    client, site, operator
) -> None:
    db.session.add(Identity(account_id=operator.id, provider="twitter", subject="7"))
    db.session.commit()
    sign_in(client, operator)
    assert client.get("/moderate/").status_code == 200


def test_sign_out_from_the_queue_ends_the_session(operator_client, site) -> None:
    from tests.moderate.conftest import post_form

    response = post_form(operator_client, "/auth/logout?next=/moderate/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/moderate/"
    g.pop("account", None)
    assert operator_client.get("/moderate/").status_code == 302
