"""Which sign-in providers exist (from configuration) and which a site offers.

A provider is switched on by its credentials: ``TWITTER_CLIENT_ID``/``_CLIENT_SECRET``,
``FACEBOOK_...``, and any number of OpenID Connect providers ``OIDC_<NAME>_ISSUER``/
``_CLIENT_ID``/``_CLIENT_SECRET``. Every endpoint can be overridden with
``<PROVIDER>_AUTHORIZE_URL``, ``_TOKEN_URL``, ``_USERINFO_URL`` (``OIDC_<NAME>_...`` for OIDC),
so tests can stand a local provider in for the real one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask import current_app

from commentsvc.models import Site

SITE_PROVIDER = "site"


class ProviderKind(StrEnum):
    TWITTER = "twitter"
    FACEBOOK = "facebook"
    OIDC = "oidc"


@dataclass(frozen=True)
class ProviderInfo:
    """What the widget shows: the id it puts in ``/auth/login/<id>`` and a button label."""

    id: str
    name: str


@dataclass(frozen=True)
class ProviderSpec:
    """Everything needed to register one OAuth client with Authlib."""

    id: str
    name: str
    kind: ProviderKind
    client_id: str
    client_secret: str
    scope: str
    authorize_url: str | None
    token_url: str | None
    userinfo_url: str | None
    issuer: str | None = None
    token_auth_method: str = "client_secret_basic"  # noqa: S105 - a method name


TWITTER_DEFAULTS = {
    "authorize_url": "https://x.com/i/oauth2/authorize",
    "token_url": "https://api.x.com/2/oauth2/token",
    "userinfo_url": "https://api.x.com/2/users/me?user.fields=profile_image_url",
}
FACEBOOK_DEFAULTS = {
    "authorize_url": "https://www.facebook.com/v19.0/dialog/oauth",
    "token_url": "https://graph.facebook.com/v19.0/oauth/access_token",
    "userinfo_url": "https://graph.facebook.com/v19.0/me?fields=id,name,picture",
}


def _endpoint(config: Mapping[str, Any], prefix: str, name: str, default: str | None) -> str | None:
    return config.get(f"{prefix}_{name.upper()}") or default


def _fixed(config: Mapping[str, Any], prefix: str, kind: ProviderKind, label: str, scope: str,
           defaults: Mapping[str, str], auth_method: str) -> ProviderSpec | None:  # fmt: skip
    client_id = config.get(f"{prefix}_CLIENT_ID")
    client_secret = config.get(f"{prefix}_CLIENT_SECRET")
    if not client_id or not client_secret:
        return None
    return ProviderSpec(
        id=kind.value,
        name=label,
        kind=kind,
        client_id=str(client_id),
        client_secret=str(client_secret),
        scope=scope,
        authorize_url=_endpoint(config, prefix, "authorize_url", defaults["authorize_url"]),
        token_url=_endpoint(config, prefix, "token_url", defaults["token_url"]),
        userinfo_url=_endpoint(config, prefix, "userinfo_url", defaults["userinfo_url"]),
        token_auth_method=auth_method,
    )


def _oidc_names(config: Mapping[str, Any]) -> list[str]:
    names = []
    for key in config:
        if key.startswith("OIDC_") and key.endswith("_ISSUER"):
            names.append(key[len("OIDC_") : -len("_ISSUER")])
    return sorted(name for name in names if name)


def _oidc(config: Mapping[str, Any], name: str) -> ProviderSpec | None:
    prefix = f"OIDC_{name}"
    issuer = config.get(f"{prefix}_ISSUER")
    client_id = config.get(f"{prefix}_CLIENT_ID")
    client_secret = config.get(f"{prefix}_CLIENT_SECRET")
    provider_id = name.lower()
    if not issuer or not client_id or not client_secret:
        return None
    if provider_id in {SITE_PROVIDER, *ProviderKind}:
        return None  # an OIDC provider cannot shadow a built-in one
    return ProviderSpec(
        id=provider_id,
        name=str(config.get(f"{prefix}_DISPLAY_NAME") or name.replace("_", " ").title()),
        kind=ProviderKind.OIDC,
        client_id=str(client_id),
        client_secret=str(client_secret),
        scope=str(config.get(f"{prefix}_SCOPE") or "openid profile email"),
        authorize_url=_endpoint(config, prefix, "authorize_url", None),
        token_url=_endpoint(config, prefix, "token_url", None),
        userinfo_url=_endpoint(config, prefix, "userinfo_url", None),
        issuer=str(issuer).rstrip("/"),
    )


def configured_providers(config: Mapping[str, Any] | None = None) -> dict[str, ProviderSpec]:
    """The OAuth providers whose credentials are configured, by id, in a stable order."""
    config = current_app.config if config is None else config
    specs = [
        _fixed(config, "TWITTER", ProviderKind.TWITTER, "Twitter / X", "users.read tweet.read",
               TWITTER_DEFAULTS, "client_secret_basic"),
        _fixed(config, "FACEBOOK", ProviderKind.FACEBOOK, "Facebook", "public_profile",
               FACEBOOK_DEFAULTS, "client_secret_post"),
        *(_oidc(config, name) for name in _oidc_names(config)),
    ]  # fmt: skip
    return {spec.id: spec for spec in specs if spec is not None}


def is_offered(site: Site, provider_id: str) -> bool:
    return any(info.id == provider_id for info in enabled_providers(site))


def enabled_providers(site: Site) -> list[ProviderInfo]:
    """The providers ``site`` offers: configured ones (filtered by ``site.providers`` when it
    lists any), then site accounts ("site"), unless the list leaves "site" out."""
    wanted = set(site.providers or ())
    offered = [
        ProviderInfo(spec.id, spec.name)
        for spec in configured_providers().values()
        if not wanted or spec.id in wanted
    ]
    if not wanted or SITE_PROVIDER in wanted:
        offered.append(ProviderInfo(SITE_PROVIDER, "Email"))
    return offered
