"""`commentsvc demo` as a new user runs it: no configuration, an empty folder, a browser."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import free_port
from tests.widget.env import shadow

pytestmark = pytest.mark.browser
MIN_FILL_IN_SECONDS = 3  # the spam check's default: the demo runs with every default


@dataclass
class Running:
    process: subprocess.Popen
    lines: queue.Queue
    output: list[str]
    blog: str
    service: str

    def wait_for_line(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if text in line:
                return line
        raise AssertionError(f"no {text!r} from the demo; it printed:\n{''.join(self.output)}")


@pytest.fixture
def running_demo(tmp_path: Path) -> Iterator[Running]:
    port, blog_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMMENTSVC_")}
    command = Path(sys.executable).with_name("commentsvc")
    process = subprocess.Popen(
        [str(command), "demo", "--port", str(port), "--blog-port", str(blog_port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        for line in process.stdout:
            output.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    running = Running(process, lines, output, "", "")
    try:
        running.blog = running.wait_for_line("open the sample blog:").split()[-1].rstrip("/")
        running.service = running.wait_for_line("comment service:").split()[2].rstrip("/")
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_demo_serves_a_blog_where_a_guest_comment_appears(
    running_demo: Running, page, tmp_path
) -> None:
    demo = running_demo
    response = page.goto(demo.blog + "/")
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    page.get_by_role("link", name="Hello, world").click()
    form = shadow(page, "form.cs-form")
    form.wait_for()
    shown = time.monotonic()
    assert (
        page.locator("link[rel=pingback]").get_attribute("href") == f"{demo.service}/pingback/demo"
    )
    assert page.locator("link[rel=webmention]").get_attribute("href") == (
        f"{demo.service}/webmention/demo"
    )
    form.locator("textarea").fill("My first comment on the demo")
    form.locator("input[name=name]").fill("New user")
    time.sleep(max(0.0, MIN_FILL_IN_SECONDS + 0.2 - (time.monotonic() - shown)))
    form.locator("button[type=submit]").click()
    comment = shadow(page, ".cs-list > .cs-c", has_text="My first comment on the demo")
    comment.wait_for()
    assert comment.get_by_text("awaiting moderation").count() == 0
    page.goto(demo.blog + "/")
    count = page.locator("[data-comments-count]").first
    expect(count).to_have_text("1 comment")  # no eval: strict CSP
    localhost = demo.blog.replace("127.0.0.1", "localhost")  # the demo site has both origins
    page.goto(localhost + "/posts/self-hosting/")
    shadow(page, ".cs-count", has_text="No responses yet").wait_for()
    assert page.console_errors == []
    assert (tmp_path / "instance" / "commentsvc.sqlite3").exists()
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(10) == 0


def test_a_pingback_sent_to_the_demo_shows_in_its_thread(running_demo: Running, httpserver) -> None:
    """The acceptance of the pingback issue: stdlib xmlrpc.client to `commentsvc demo`."""
    import xmlrpc.client

    import requests

    demo = running_demo
    target = f"{demo.blog}/posts/hello-world/"
    page = (
        '<html><head><title>A post that links</title></head><body><article class="h-entry">'
        f'<p>I enjoyed <a href="{target}">this demo post</a> very much.</p></article></body></html>'
    )
    httpserver.expect_request("/linking-post").respond_with_data(page, content_type="text/html")
    source = httpserver.url_for("/linking-post")
    answer = xmlrpc.client.ServerProxy(f"{demo.service}/pingback/demo").pingback.ping(
        source, target
    )
    assert isinstance(answer, str)
    deadline = time.monotonic() + 15
    mentions: list = []
    while time.monotonic() < deadline and not mentions:
        thread = requests.get(
            f"{demo.service}/api/sites/demo/thread", params={"url": target}, timeout=5
        ).json()
        mentions = thread["mentions"]
        time.sleep(0.2)
    assert [(m["kind"], m["source"], m["title"]) for m in mentions] == [
        ("pingback", source, "A post that links")
    ]


def test_demo_offers_every_sign_in_and_the_twitter_stand_in_signs_in(
    running_demo: Running, page, artifacts_dir
) -> None:
    demo = running_demo
    page.goto(demo.blog + "/posts/hello-world/")
    for name in ("Twitter / X", "Facebook", "Email"):
        shadow(page, "button", has_text=f"Sign in with {name}").wait_for()
    with page.expect_popup() as opened:
        shadow(page, "button", has_text="Sign in with Twitter / X").click()
    popup = opened.value
    expect(popup.get_by_role("note")).to_contain_text(
        "Demo stand-in for Twitter/X — not the real service"
    )
    assert popup.url.startswith(f"{demo.service}/demo-provider/twitter/authorize?")
    popup.screenshot(path=artifacts_dir / "demo-stand-in-twitter-consent.png")
    popup.get_by_role("combobox").select_option("bob")
    with popup.expect_event("close", timeout=10_000):
        popup.get_by_role("button", name="Allow").click()
    shadow(page, ".cs-who", has_text="Signed in as Bob Example.").wait_for()
    assert page.console_errors == []


def test_demo_prints_the_operator_who_signs_in_to_the_queue_from_the_landing_page(
    running_demo: Running, page
) -> None:
    demo = running_demo
    credentials = demo.wait_for_line("sign in as")
    email, password = re.search(r"sign in as (\S+) with password (\S+)", credentials).groups()
    outbox = demo.wait_for_line("written as a .eml file to")
    assert outbox.strip().endswith("/instance/outbox/")
    page.goto(demo.service + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("commentsvc")
    assert page.get_by_role("link", name="The sample blog", exact=True).get_attribute("href") == (
        demo.blog + "/"
    )
    page.get_by_role("link", name="The moderation queue").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{demo.service}/moderate/**")
    assert page.get_by_text("Demo operator").count() >= 1


def test_email_registration_finishes_in_the_waiting_popup_once_confirmed_in_another_tab(
    running_demo: Running, page, tmp_path
) -> None:
    demo = running_demo
    page.goto(demo.blog + "/posts/self-hosting/")
    with page.expect_popup() as opened:
        shadow(page, "button", has_text="Sign in with Email").click()
    popup = opened.value
    popup.get_by_role("link", name="Create an account").click()
    popup.get_by_label("Email").fill("newcomer@example.org")
    popup.get_by_label("Display name").fill("Newcomer")
    popup.get_by_label("Password").fill("a long enough password")
    popup.get_by_role("button", name="Create account").click()
    expect(popup.get_by_role("heading", level=1)).to_have_text("Check your email")

    outbox = tmp_path / "instance" / "outbox"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not list(outbox.glob("*.eml")):
        time.sleep(0.1)
    (mail,) = outbox.glob("*.eml")
    body = message_from_bytes(mail.read_bytes(), policy=policy.default).get_content()
    link = re.search(r"http://\S+/auth/verify/\S+", body).group(0)

    confirmation = page.context.new_page()
    with popup.expect_event("close", timeout=15_000):
        confirmation.goto(link)
        confirmation.get_by_role("button", name="Confirm my address").click()
        expect(confirmation.get_by_role("status")).to_contain_text("You can close this tab")
    shadow(page, ".cs-who", has_text="Signed in as Newcomer.").wait_for()
    assert page.console_errors == []
