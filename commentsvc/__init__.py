"""commentsvc: self-hosted comments, pingbacks and webmentions for any web page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app: configuration, extensions, blueprints and error handlers; nothing else."""
    from commentsvc import (  # noqa: F401
        assets,
        config,
        cors,
        database,
        errors,
        extensions,
        metrics,
        models,
        request_log,
        response_cache,
        sessions,
    )
    from commentsvc.api import bp as api_bp
    from commentsvc.api.outbound import bp as outbound_api_bp
    from commentsvc.auth import bp as auth_bp
    from commentsvc.auth.api import api_bp as auth_api_bp
    from commentsvc.avatars import bp as avatars_bp
    from commentsvc.feeds import bp as feeds_bp
    from commentsvc.health import bp as health_bp
    from commentsvc.home import bp as home_bp
    from commentsvc.mentions import bp as mentions_bp
    from commentsvc.metrics_views import bp as metrics_bp
    from commentsvc.moderate import bp as moderate_bp
    from commentsvc.notifications import bp as notify_bp
    from commentsvc.photos import bp as photos_bp
    from commentsvc.widget import bp as widget_bp

    instance = (overrides or {}).get("INSTANCE_PATH") or config.instance_path()
    app = Flask(__name__, instance_path=str(instance))
    config.load_config(app, overrides)
    request_log.init_app(app)  # first: its timing hook runs before every other hook
    app.session_interface = sessions.CookieOnDemandSessionInterface()
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    extensions.db.init_app(app)
    database.configure(app)
    metrics.watch_app_pool(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=str(assets.migrations_dir()), render_as_batch=True
    )
    extensions.limiter.init_app(app)
    extensions.csrf.init_app(app)
    for blueprint in (
        api_bp,
        outbound_api_bp,  # a site's token, not a reader's: outside the reader-token hook
        mentions_bp,
        widget_bp,
        health_bp,
        feeds_bp,
        avatars_bp,
        photos_bp,
        metrics_bp,  # a bearer token or the network authorises it, never a cookie
    ):
        extensions.csrf.exempt(blueprint)  # no cookies authorise these: CORS and tokens do
        app.register_blueprint(blueprint)
    app.register_blueprint(auth_bp)
    extensions.csrf.exempt(auth_api_bp)  # bearer tokens, never cookies, authorise it
    app.register_blueprint(auth_api_bp)
    app.register_blueprint(moderate_bp)
    app.register_blueprint(notify_bp)
    app.register_blueprint(home_bp)
    cors.init_app(app)
    errors.register_error_handlers(app)
    app.after_request(_no_sniffing)
    response_cache.init_app(app)
    return app


def _no_sniffing(response: Response) -> Response:
    """Every answer is read as the type it says (JSON, Atom, SVG), never guessed into HTML."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
