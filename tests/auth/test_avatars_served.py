"""Commenters' avatars from providers and profiles are fetched once and served by the service:
a reader's browser never loads them from the provider's host, nor a commenter's tracking pixel
from theirs."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from commentsvc.avatars import avatar_url, gravatar_url
from commentsvc.extensions import db
from commentsvc.models import Account, Comment, CommentStatus, Photo
from commentsvc.models.photo import photo_key
from commentsvc.services.threads import get_or_create_thread
from tests.auth.conftest import SITE_ORIGIN, csrf_token, sign_in_popup
from tests.mention_content import images
from workers.photos import fetch_photo

PAGE = f"{SITE_ORIGIN}/post"
SERVICE = "http://comments.test"


def post(client, token: str, body: str = "Hello") -> dict:
    answer = client.post(
        "/api/sites/blog/comments",
        json={"url": PAGE, "body": body, "elapsed_ms": 60_000},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def shown_avatars(client) -> list[str]:
    thread = client.get("/api/sites/blog/thread", query_string={"url": PAGE}).get_json()
    return [comment["author"]["avatar"] for comment in thread["comments"]]


def set_avatar(client, url: str) -> None:
    page = client.get("/auth/account").get_data(as_text=True)
    data = {"name": "Alice", "avatar": url, "csrf_token": csrf_token(page)}
    assert client.post("/auth/account/profile", data=data).status_code == 302


def assert_served_copy(client, url: str) -> None:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}".startswith(f"{SERVICE}/photos/")
    image = client.get(parts.path, query_string=parts.query)
    assert image.status_code == 200
    assert image.content_type == "image/webp"


def add_visible_comment(
    thread, name: str, *, author_avatar: str, account_id: int | None = None
) -> None:
    db.session.add(
        Comment(
            thread_id=thread.id,
            account_id=account_id,
            author_name=name,
            author_avatar=author_avatar,
            body_markdown="x",
            body_html="<p>x</p>",
            status=CommentStatus.VISIBLE,
            ip_hash="0" * 64,
        )
    )


def test_a_providers_picture_is_shown_as_the_services_copy(client, site, oauth_providers):
    message = sign_in_popup(client, "twitter")
    account = db.session.scalars(db.select(Account)).one()
    provider_host = urlsplit(account.avatar_url).netloc
    assert provider_host == urlsplit(oauth_providers["twitter"].url).netloc
    posted = post(client, message["token"])
    assert_served_copy(client, posted["author"]["avatar"])
    [shown] = shown_avatars(client)
    assert shown == posted["author"]["avatar"]
    assert provider_host not in client.get(f"/api/sites/blog/thread?url={PAGE}").text
    me = client.get(
        "/api/me",
        headers={"Authorization": f"Bearer {message['token']}", "Origin": SITE_ORIGIN},
    ).get_json()
    assert me["account"]["avatar"] == shown  # the widget's own view of its reader too


def test_a_tracking_pixel_as_profile_avatar_is_fetched_once_whoever_reads(client, site, pages):
    pixel = pages.add("/px.png", images.png(40, 40), content_type="image/png")
    message = sign_in_popup(client, "twitter")
    account = db.session.scalars(db.select(Account)).one()
    account.avatar_url = f"{pixel}?reader=42"  # the profile form takes https only
    db.session.commit()
    post(client, message["token"])
    for _ in range(3):
        [shown] = shown_avatars(client.application.test_client())
        assert_served_copy(client, shown)
        assert "px.png" not in shown
    assert pages.hits("/px.png") == 1


def test_a_new_profile_avatar_is_asked_for_at_once(client, site):
    sign_in_popup(client, "twitter")
    set_avatar(client, "https://img.example/a.png")
    asked = db.session.scalars(db.select(Photo.url)).all()
    assert "https://img.example/a.png" in asked


def test_an_avatar_that_is_no_image_shows_the_accounts_identicon(client, site, pages):
    page = pages.html("/not-an-image", "<p>hello</p>")
    message = sign_in_popup(client, "twitter")
    db.session.scalars(db.select(Account)).one().avatar_url = page
    db.session.commit()
    posted = post(client, message["token"])
    account_id = db.session.scalars(db.select(Comment.account_id)).one()
    identicon = avatar_url(f"account:{account_id}")
    assert posted["author"]["avatar"] == identicon
    assert shown_avatars(client) == [identicon]


def test_a_thread_shown_before_the_photo_arrived_shows_it_once_stored(client, site, pages):
    """The photo job bumps the threads where the account's comments show: cached renderings
    name the served copy at once."""
    photo = pages.add("/late.png", images.png(60, 60), content_type="image/png")
    account = Account(display_name="Late", avatar_url=photo)
    db.session.add(account)
    db.session.flush()
    thread = get_or_create_thread(site, PAGE)
    add_visible_comment(thread, "Late", account_id=account.id, author_avatar=photo)
    db.session.add(Photo(key=photo_key(photo), url=photo, failures=0))
    account.avatar_url = "https://img.example/since-changed.png"  # the comment keeps its own
    db.session.commit()
    assert shown_avatars(client) == [avatar_url(f"account:{account.id}")]
    assert fetch_photo(photo_key(photo)) == "stored"
    [shown] = shown_avatars(client)
    assert_served_copy(client, shown)


@pytest.mark.parametrize("kind", ["gravatar", "identicon"])
def test_gravatars_and_identicons_are_shown_as_they_are(client, site, kind):
    url = gravatar_url("ann@example.org") if kind == "gravatar" else avatar_url("ann")
    thread = get_or_create_thread(site, PAGE)
    add_visible_comment(thread, "Ann", author_avatar=url)
    db.session.commit()
    assert shown_avatars(client) == [url]
    assert db.session.scalar(db.select(db.func.count()).select_from(Photo)) == 0


def test_a_gravatar_address_of_the_commenters_choosing_is_fetched_like_any_other(
    client, site
) -> None:
    """Only the exact identicon address the service writes for a guest goes out as is: a
    ``d=`` fallback image would be a tracking pixel any commenter could name."""
    chosen = "https://www.gravatar.com/avatar/0?d=https%3A%2F%2Ftracker.example%2Fp.png"
    account = Account(display_name="Pixel", avatar_url=chosen)
    db.session.add(account)
    db.session.flush()
    thread = get_or_create_thread(site, PAGE)
    add_visible_comment(thread, "Pixel", account_id=account.id, author_avatar=chosen)
    db.session.commit()
    assert shown_avatars(client) == [avatar_url(f"account:{account.id}")]
