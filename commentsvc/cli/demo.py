"""``commentsvc demo``: the service on the embedded default plus a sample blog that embeds it.

The blog runs on its own port, hence its own origin, so the demo crosses origins the way a
real site and its comment service do (CORS, the widget's isolation, sign-in pop-ups). Both
run on werkzeug servers in this one process, on threads; Ctrl-C stops them.

Every sign-in the service has is on offer: Twitter/X and Facebook through stand-in providers
(:mod:`commentsvc.demo_provider`) mounted beside the service under ``/demo-provider/`` in this
process only, and accounts on the service. An operator account is (re)created with a fresh
password on every start, so the moderation queue is one sign-in away.
"""

from __future__ import annotations

import secrets
import shlex
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click
from flask import Flask, Response, abort, render_template, request, send_from_directory
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from commentsvc import assets
from commentsvc.cli.dev_server import request_handler
from commentsvc.errors import NotFound
from commentsvc.extensions import db
from commentsvc.models import Site
from commentsvc.services.accounts import (
    create_account,
    find_account_by_email,
    grant_operator,
    set_password,
)
from commentsvc.services.sites import create_site, get_site, update_site

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from commentsvc.demo_provider import Provider

DEMO_SITE = "demo"
HOST = "127.0.0.1"  # loopback only: the demo has no secrets worth exposing, but no limits either
OPERATOR_EMAIL = "operator@example.org"
PROVIDER_PREFIX = "/demo-provider"  # the stand-ins' mount point on the service's port
STAND_INS = ("twitter", "facebook")


@dataclass(frozen=True)
class Post:
    slug: str
    title: str


POSTS = (
    Post("hello-world", "Hello, world"),
    Post("self-hosting", "Why host your own comments"),
)


def blog_app(service_url: str, site: str = DEMO_SITE, *, is_strict_csp: bool = False) -> Flask:
    """The sample blog: an index with comment counts and posts that embed the widget.

    ``is_strict_csp`` sends the Content-Security-Policy a careful site would (no inline script
    or style, scripts and API calls only from the service): the demo runs with it to show that
    the widget needs nothing more. Tests of the widget's own XSS defences run without it, so
    that a policy cannot hide a payload that would run on a page without one.
    """
    blog = Flask("commentsvc.demo_blog", template_folder=str(assets.embed_dir() / "demo"))
    posts = {post.slug: post for post in POSTS}

    def page(template: str, **context: object) -> str:
        return render_template(
            template,
            service=service_url.rstrip("/"),
            blog=request.host_url.rstrip("/"),
            site=site,
            **context,
        )

    @blog.get("/")
    def index() -> str:
        return page("index.html", posts=POSTS)

    @blog.get("/blog.css")
    def stylesheet() -> Response:
        return send_from_directory(str(blog.template_folder), "blog.css")

    @blog.after_request
    def content_security_policy(response: Response) -> Response:
        if is_strict_csp:
            service = service_url.rstrip("/")  # avatars may come from sign-in providers: img *
            response.headers["Content-Security-Policy"] = (
                f"default-src 'self'; script-src 'self' {service}; connect-src {service}; "
                "img-src * data:; style-src 'self'; frame-ancestors 'none'"
            )
        return response

    @blog.get("/posts/<slug>/")
    def post(slug: str) -> str:
        if slug not in posts:
            abort(404)
        theme = request.args.get("theme")
        lang = request.args.get("lang", "")
        return page(
            "post.html",
            post=posts[slug],
            theme=theme if theme in {"light", "dark"} else None,
            lang=lang if lang.isalpha() and len(lang) <= 3 else None,
        )

    return blog


def blog_origins(blog_port: int) -> list[str]:
    return [f"http://127.0.0.1:{blog_port}", f"http://localhost:{blog_port}"]


def ensure_demo_site(origins: list[str]) -> Site:
    """Create the demo site, or add the blog's origins to it (the ports may have changed)."""
    try:
        site = get_site(DEMO_SITE)
    except NotFound:
        return create_site(DEMO_SITE, origins)
    if not set(origins) <= set(site.origins):
        update_site(site, origins=[*site.origins, *origins])
    return site


def ensure_demo_operator(site: Site) -> str:
    """The demo's operator of ``site``, created or given a new random password; returns it.

    A fresh password per start: nothing fixed to guess, and the console shows the current one."""
    password = secrets.token_urlsafe(12)
    account = find_account_by_email(OPERATOR_EMAIL)
    if account is None:
        create_account(
            OPERATOR_EMAIL,
            "Demo operator",
            password,
            operator_of=[site.name],
            is_email_verified=True,
        )
        return password
    set_password(account, password)
    account.is_email_verified = True
    if all(role.site_id != site.id for role in account.operator_roles):
        grant_operator(account, site.name)
    return password


def stand_in_providers(service_url: str) -> tuple[dict[str, Provider], dict[str, str]]:
    """The stand-in providers by mount path, and the settings that point the service at them."""
    from commentsvc.demo_provider import Provider  # Authlib's server: a large import

    mounts, settings = {}, {}
    for kind in STAND_INS:
        provider = Provider(kind)
        path = f"{PROVIDER_PREFIX}/{kind}"
        settings.update(provider.config(service_url + path))
        mounts[path] = provider
    return mounts, settings


def _server(
    port: int, app: WSGIApplication, what: str, handler: type[WSGIRequestHandler]
) -> BaseWSGIServer:
    try:
        return make_server(HOST, port, app, threaded=True, request_handler=handler)
    except OSError as error:
        raise click.ClickException(
            f"cannot serve the {what} on {HOST}:{port} ({error.strerror}); "
            f"choose another port with --port / --blog-port"
        ) from error


@click.command()
@click.option("--port", default=8000, show_default=True, type=int, help="The service's port.")
@click.option("--blog-port", default=None, type=int, help="The sample blog's port [PORT+1].")
def demo(port: int, blog_port: int | None) -> None:
    """Run the service and a sample blog that embeds it (no configuration needed)."""
    from commentsvc import create_app
    from commentsvc.cli.serve import allow_streams_of_a_threaded_server, upgrade_embedded_database
    from commentsvc.jobs import start_in_process_sweeper, stop_in_process_jobs
    from commentsvc.logs import configure_logging

    configure_logging()
    blog_port = blog_port or port + 1
    service_url = f"http://{HOST}:{port}"
    blog_url = f"http://{HOST}:{blog_port}"
    providers, provider_settings = stand_in_providers(service_url)
    # The embedded default whatever the environment says: SQLite, in-process jobs, no Redis,
    # no SMTP (mail goes to the instance's outbox folder), the stand-in providers. Everything
    # listens on loopback, and so do the pages that send the demo pingbacks: the fetcher may
    # reach loopback here (it never may by default).
    app = create_app(
        {
            "DATABASE_URL": None,
            "REDIS_URL": None,
            "SMTP_URL": None,
            "PUBLIC_URL": service_url,
            "DEMO_BLOG_URL": blog_url + "/",
            "FETCH_ALLOW_NETWORKS": ["127.0.0.0/8", "::1/128"],
            **provider_settings,
        }
    )
    allow_streams_of_a_threaded_server(app)
    with app.app_context():
        upgrade_embedded_database()
        site = ensure_demo_site(blog_origins(blog_port))
        password = ensure_demo_operator(site)
        db.session.commit()
    blog = blog_app(service_url, is_strict_csp=True)
    service = DispatcherMiddleware(app, {path: p.app for path, p in providers.items()})
    handler = request_handler(app)
    servers = [
        _server(port, service, "service", handler),
        _server(blog_port, blog, "blog", handler),
    ]
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in servers]
    for thread in threads:
        thread.start()
    start_in_process_sweeper(app)
    click.echo(
        f"\ncommentsvc demo is running (Ctrl-C stops it)\n"
        f"  open the sample blog:  {blog_url}/\n"
        f"  comment service:       {service_url}/   (data in {app.instance_path})\n"
        f"  moderation queue:      {service_url}/moderate/\n"
        f"    sign in as {OPERATOR_EMAIL} with password {password}   (new on every start)\n"
        f"  sign-in on the blog:   Twitter/X and Facebook are local stand-ins (sample users),\n"
        f"                         Email accounts are real accounts on this demo service\n"
        f"  mail is not sent: each message (address confirmations, password resets, reply\n"
        f"  notifications) is written as a .eml file to {app.instance_path}/outbox/\n"
        f"  check a page's endpoints (loopback pages need --allow-private):\n"
        f"    COMMENTSVC_INSTANCE_PATH={shlex.quote(app.instance_path)} \\\n"
        f"    commentsvc site check --allow-private --service-url {service_url}/ "
        f"{blog_url}/posts/hello-world/\n",
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        for server in servers:
            server.shutdown()
        stop_in_process_jobs(app)
