"""Authlib Flask OAuth clients for the configured providers: state, nonce and PKCE are Authlib's.

Each app gets its own :class:`~authlib.integrations.flask_client.OAuth` registry (kept in
``app.extensions``), built from that app's configuration on first use: a module-level
registry caches clients process-wide, which would mix up the endpoints of two apps living in
one process (tests, or a server reloading its settings). Authlib is imported on first use:
most web workers only ever serve threads, and it is a large import.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from flask import Flask, current_app

from commentsvc.errors import NotFound
from commentsvc.providers import ProviderSpec, configured_providers

if TYPE_CHECKING:
    from authlib.integrations.flask_client import FlaskOAuth2App, OAuth

EXTENSION_KEY = "commentsvc.auth.oauth"
HTTP_TIMEOUT_SECONDS = 10
_lock = threading.Lock()


def _register(registry: OAuth, spec: ProviderSpec) -> None:
    client_kwargs: dict[str, object] = {
        "scope": spec.scope,
        "token_endpoint_auth_method": spec.token_auth_method,
        "default_timeout": HTTP_TIMEOUT_SECONDS,
    }
    # PKCE everywhere: Twitter requires it; Facebook Login and OIDC issuers check it once
    # sent, so a stolen authorisation code is worth nothing without this session's verifier.
    client_kwargs["code_challenge_method"] = "S256"
    registry.register(
        spec.id,
        client_id=spec.client_id,
        client_secret=spec.client_secret,
        authorize_url=spec.authorize_url,
        access_token_url=spec.token_url,
        server_metadata_url=(
            f"{spec.issuer}/.well-known/openid-configuration" if spec.issuer else None
        ),
        userinfo_endpoint=spec.userinfo_url,
        client_kwargs=client_kwargs,
    )


def _registry(app: Flask) -> OAuth:
    registry = app.extensions.get(EXTENSION_KEY)
    if registry is None:
        with _lock:
            registry = app.extensions.get(EXTENSION_KEY)
            if registry is None:
                from authlib.integrations.flask_client import OAuth

                registry = OAuth()
                registry.app = app  # bound without init_app: leaves the shared extension alone
                for spec in configured_providers(app.config).values():
                    _register(registry, spec)
                app.extensions[EXTENSION_KEY] = registry
    return registry


def oauth_client(provider_id: str) -> FlaskOAuth2App:
    """The Authlib client of a configured provider; NotFound for anything else."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    client = _registry(app).create_client(provider_id)
    if client is None:
        raise NotFound(f"Sign-in with {provider_id!r} is not configured on this service.")
    return client
