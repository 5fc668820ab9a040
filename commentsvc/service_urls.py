"""The addresses of the service's own files (identicons, photos) in what it stores or caches."""

from __future__ import annotations

from flask import current_app, has_request_context, request


def service_url(path: str) -> str:
    """``path`` under ``PUBLIC_URL``; without one, the path alone, which the widget resolves
    against the address it was loaded from. Never built from a request's ``Host`` header: the
    answer is stored or cached and shown to every reader."""
    public_url = current_app.config["PUBLIC_URL"]
    if public_url:
        return f"{public_url}{path}"
    root = request.script_root if has_request_context() else ""
    return f"{root}{path}"
