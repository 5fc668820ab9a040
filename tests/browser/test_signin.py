"""Sign-in through the widget in real Chromium: the popup, the provider's consent page, the
token handed back by postMessage, posting as that user, and staying signed in on reload;
again with third-party cookies blocked. The blog (localhost) and the service (127.0.0.1) are
different sites, as real ones are; a second registered site (127.0.0.2) tries to obtain and to
use the blog's reader's token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, make_response, request
from playwright.sync_api import expect

from commentsvc.cli.demo import blog_app
from commentsvc.extensions import db
from commentsvc.models import Comment
from commentsvc.services.accounts import create_account
from commentsvc.services.sites import create_site
from tests.auth.conftest import _served_providers, mailbox, oauth_providers  # noqa: F401
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, base_config
from tests.widget.env import shadow

pytestmark = pytest.mark.browser

POST = "/posts/hello-world/"
SITE = "blog"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"  # the browser tests the flow, not the DB


@pytest.fixture
def app_config(tmp_path: Path, database_url: str, oauth_providers, mailbox) -> dict:  # noqa: F811
    config = {**base_config(tmp_path, database_url), "MIN_FILL_IN_SECONDS": 0}
    for provider in oauth_providers.values():
        config.update(provider.config(provider.url))
    config["SMTP_URL"] = mailbox.url
    return config


@pytest.fixture
def blog(app: Flask, serve: Callable) -> str:
    """The service on 127.0.0.1 and a blog embedding it on localhost: two sites."""
    service = serve(app)
    app.config["PUBLIC_URL"] = service.url  # the callback URL registered with providers
    blog_url = serve(blog_app(service.url, site=SITE), host="localhost").url
    create_site(SITE, [blog_url])
    db.session.commit()
    return blog_url


@pytest.fixture(scope="module")
def cookie_blocking_browser(playwright_instance) -> Iterator:
    """Chromium with third-party cookies blocked, as Safari, Firefox and Chrome's phase-out do."""
    instance = playwright_instance.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, "--test-third-party-cookie-phaseout"],
    )
    yield instance
    instance.close()


def sign_in_with_twitter(page, user: str = "alice") -> None:
    button = shadow(page, "button", has_text="Sign in with Twitter / X")
    with page.expect_popup() as opened:
        button.click()
    popup = opened.value
    popup.get_by_role("combobox").select_option(user)
    with popup.expect_event("close", timeout=10_000):  # listening before it can happen
        popup.get_by_role("button", name="Allow").click()


def post_signed_in_comment_and_reload(page, blog: str, artifacts: Path, name: str) -> None:
    page.goto(blog + POST)
    sign_in_with_twitter(page)
    shadow(page, ".cs-who", has_text="Signed in as Alice Example.").wait_for()

    form = shadow(page, "form.cs-form").first
    assert form.locator("input[name=name]").count() == 0  # no guest fields when signed in
    form.locator("textarea").fill("Signed in and commenting.")
    form.locator("button[type=submit]").click()
    comment = shadow(page, ".cs-list > .cs-c").first
    comment.locator(".cs-b", has_text="Signed in and commenting.").wait_for()
    expect(comment.locator(".cs-n")).to_have_text("Alice Example")
    badge = comment.locator(".cs-h .cs-pend").first  # the provider badge
    expect(badge).to_have_text("Twitter / X")
    assert badge.get_attribute("title") == "Signed in with Twitter / X"
    page.locator("#comments").screenshot(path=artifacts / f"signin-{name}.png")

    page.reload()
    shadow(page, ".cs-who", has_text="Signed in as Alice Example.").wait_for()
    stored = db.session.scalars(sa.select(Comment)).one()
    assert stored.account is not None
    assert stored.account.identities[0].provider == "twitter"
    assert page.console_errors == []


def test_sign_in_with_twitter_in_the_widget_post_and_stay_signed_in(
    page, blog, artifacts_dir
) -> None:
    post_signed_in_comment_and_reload(page, blog, artifacts_dir, "default")


def test_sign_in_works_with_third_party_cookies_blocked(
    cookie_blocking_browser, blog, serve, artifacts_dir
) -> None:
    context = cookie_blocking_browser.new_context()
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    try:
        assert third_party_cookie_reaches(page, blog, serve) is False  # blocking is on
        page.context.clear_cookies()
        post_signed_in_comment_and_reload(page, blog, artifacts_dir, "cookies-blocked")
    finally:
        context.close()


def third_party_cookie_reaches(page, blog: str, serve: Callable) -> bool:
    """Set a ``SameSite=None; Secure`` cookie first-party on 127.0.0.1 and check it comes back
    first-party; then load 127.0.0.1 in a frame of the blog (localhost): does it come too?"""
    seen: list[str | None] = []
    probe = Flask("third-party-probe")

    @probe.get("/set")
    def set_cookie():
        response = make_response("set")
        response.set_cookie("probe", "1", samesite="None", secure=True)
        return response

    @probe.get("/frame")
    def frame():
        seen.append(request.cookies.get("probe"))
        return "frame"

    url = serve(probe).url
    page.goto(url + "/set")
    page.goto(url + "/frame")
    assert seen == ["1"], "the probe cookie was not stored first-party"
    page.goto(blog + "/")
    page.evaluate(
        """(src) => new Promise((done) => { const f = document.createElement('iframe');
        f.onload = done; f.src = src; document.body.append(f); })""",
        url + "/frame",
    )
    assert len(seen) == 2, "the frame was not loaded"
    return seen[-1] == "1"


def test_widget_ignores_a_forged_sign_in_message_from_the_page_origin(page, blog) -> None:
    page.goto(blog + POST)
    button = shadow(page, "button", has_text="Sign in with Twitter / X")
    with page.expect_popup() as opened:
        button.click()
    popup = opened.value
    page.evaluate(
        """() => window.postMessage({type: 'commentsvc:signed-in', token: 'forged',
        expires_at: '2999-01-01T00:00:00Z', account: {name: 'Mallory'}}, '*')"""
    )
    page.wait_for_timeout(300)
    assert shadow(page, ".cs-who", has_text="Mallory").count() == 0
    assert page.evaluate("Object.keys(localStorage).filter(k => k.includes('token'))") == []

    with popup.expect_event("close", timeout=10_000):
        popup.get_by_role("button", name="Allow").click()
    shadow(page, ".cs-who", has_text="Signed in as Alice Example.").wait_for()


def test_site_account_sign_in_in_the_popup_and_sign_out_revokes_the_token(page, blog, app) -> None:
    create_account("ann@example.org", "Ann", "correct horse battery", is_email_verified=True)
    db.session.commit()
    page.goto(blog + POST)
    with page.expect_popup() as opened:
        shadow(page, "button", has_text="Sign in with Email").click()
    popup = opened.value
    popup.get_by_label("Email").fill("ann@example.org")
    popup.get_by_label("Password").fill("correct horse battery")
    with popup.expect_event("close", timeout=10_000):
        popup.get_by_role("button", name="Sign in").click()
    shadow(page, ".cs-who", has_text="Signed in as Ann.").wait_for()
    token = page.evaluate(
        "JSON.parse(localStorage.getItem(Object.keys(localStorage).find(k => k.startsWith("
        "'commentsvc:token:')))).token"
    )
    client = app.test_client()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json["authenticated"]

    shadow(page, "button", has_text="Sign out").click()
    shadow(page, "button", has_text="Sign in with Email").wait_for()

    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json == {
        "authenticated": False
    }
    assert page.console_errors == []


# ---------------------------------------------------------------- a second site on another origin

OTHER_SITE = "other"
OTHER_PAGE = """<!doctype html><title>Another site</title>
<p>Another registered site, whose page tries to sign its visitors in without asking.</p>
<script>
window.received = [];
addEventListener("message", (event) => window.received.push(event.data));
</script>"""


@pytest.fixture
def other_site(app: Flask, blog: str, serve: Callable) -> str:
    """A second registered site on a third origin (127.0.0.2): its owner runs its pages."""
    other = Flask("other-site")
    other.get("/")(lambda: OTHER_PAGE)
    url = serve(other, host="127.0.0.2").url
    create_site(OTHER_SITE, [url])
    db.session.commit()
    return url


def test_another_site_cannot_get_a_returning_readers_token_by_navigating_the_popup(
    page, app, blog, other_site, artifacts_dir
) -> None:
    """The reported attack: after the reader signed in through the blog's popup, the other
    site opens the login URL for itself and then sends the popup to /auth/complete."""
    page.goto(blog + POST)
    sign_in_with_twitter(page)
    shadow(page, ".cs-who", has_text="Signed in as Alice Example.").wait_for()
    service = app.config["PUBLIC_URL"]

    page.goto(other_site + "/")
    login = f"{service}/auth/login/twitter?site={OTHER_SITE}&origin={other_site}"
    with page.expect_popup() as opened:
        page.evaluate("(url) => { window.popup = window.open(url, 'x', 'popup'); }", login)
    popup = opened.value
    popup.wait_for_load_state()
    with popup.expect_navigation():
        page.evaluate("(url) => { window.popup.location = url; }", f"{service}/auth/complete")
    page.wait_for_timeout(500)  # time for any message to arrive

    assert page.evaluate("window.received") == []
    expect(popup.get_by_role("heading")).to_have_text("Continue as Alice Example?")
    expect(popup.get_by_role("button")).to_have_text(f"Continue as Alice Example on {other_site}")
    expect(popup.get_by_role("button")).to_be_enabled()  # after a moment in view
    popup.screenshot(path=artifacts_dir / "signin-cross-site-confirmation.png")
    assert popup.evaluate("window.opener !== null")  # still open, still no message


def test_a_token_from_one_site_is_refused_on_another(page, app, blog, other_site) -> None:
    page.goto(blog + POST)
    sign_in_with_twitter(page)
    shadow(page, ".cs-who", has_text="Signed in as Alice Example.").wait_for()
    token = page.evaluate(
        "JSON.parse(localStorage.getItem(Object.keys(localStorage).find(k => k.startsWith("
        "'commentsvc:token:')))).token"
    )
    service = app.config["PUBLIC_URL"]
    guest = app.test_client().post(
        f"/api/sites/{OTHER_SITE}/comments",
        json={"url": other_site + "/", "body": "A guest on the other site.", "name": "Gus"},
    )
    assert guest.status_code == 201

    page.goto(other_site + "/")
    answers = page.evaluate(
        """async ([service, site, page, token, comment]) => {
          const headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"};
          const call = async (method, path, body) => {
            const res = await fetch(service + path, {method, headers, body: JSON.stringify(body)});
            return [res.status, res.headers.get("Content-Type"), (await res.json()).detail];
          };
          return [
            await call("POST", `/api/sites/${site}/comments`, {url: page, body: "as Alice"}),
            await call("PATCH", `/api/comments/${comment}`, {body: "rewritten"}),
            await call("GET", "/api/me"),
          ];
        }""",
        [service, OTHER_SITE, other_site + "/", token, guest.json["id"]],
    )

    for status, content_type, detail in answers:
        assert (status, content_type) == (403, "application/problem+json"), detail
    stored = db.session.scalars(sa.select(Comment)).all()
    assert [comment.body_markdown for comment in stored] == ["A guest on the other site."]
