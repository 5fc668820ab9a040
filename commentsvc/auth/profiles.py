"""Who the provider says the user is, read from each provider's own response shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from commentsvc.chars import one_line
from commentsvc.errors import InvalidInput
from commentsvc.providers import ProviderKind, ProviderSpec
from commentsvc.services.identities import Profile

if TYPE_CHECKING:
    from authlib.integrations.flask_client import FlaskOAuth2App

MAX_NAME = 80
MAX_URL = 1024


def _https_url(value: Any) -> str | None:
    """Only http(s) URLs of sane length are kept: the widget puts them in ``src``/``href``."""
    if (
        isinstance(value, str)
        and value.startswith(("https://", "http://"))
        and len(value) <= MAX_URL
    ):
        return value
    return None


def _name(value: Any, fallback: str) -> str:
    name = one_line(value) if isinstance(value, str) else ""  # a provider's word, not ours
    return (name or fallback)[:MAX_NAME]


def _twitter(data: dict[str, Any]) -> Profile:
    user = data.get("data") or {}
    username = user.get("username") if isinstance(user.get("username"), str) else None
    return Profile(
        provider=ProviderKind.TWITTER.value,
        subject=str(user.get("id") or ""),
        display_name=_name(user.get("name"), username or "Twitter user"),
        avatar_url=_https_url(user.get("profile_image_url")),
        profile_url=f"https://x.com/{username}" if username and username.isascii() else None,
    )


def _facebook(data: dict[str, Any]) -> Profile:
    picture = data.get("picture")
    picture_url = None
    if isinstance(picture, dict) and isinstance(picture.get("data"), dict):
        picture_url = picture["data"].get("url")
    return Profile(
        provider=ProviderKind.FACEBOOK.value,
        subject=str(data.get("id") or ""),
        display_name=_name(data.get("name"), "Facebook user"),
        avatar_url=_https_url(picture_url),
    )


def _oidc(spec: ProviderSpec, claims: dict[str, Any]) -> Profile:
    return Profile(
        provider=spec.id,
        subject=str(claims.get("sub") or ""),
        display_name=_name(
            claims.get("name") or claims.get("preferred_username") or claims.get("nickname"),
            f"{spec.name} user",
        ),
        avatar_url=_https_url(claims.get("picture")),
        profile_url=_https_url(claims.get("profile") or claims.get("website")),
    )


def fetch_profile(spec: ProviderSpec, client: FlaskOAuth2App, token: dict[str, Any]) -> Profile:
    """Read the user behind ``token``: the ID token's claims for OIDC, the API for the others."""
    if spec.kind is ProviderKind.OIDC:
        claims = dict(token.get("userinfo") or {})
        if not claims:
            claims = dict(client.userinfo(token=token))
        profile = _oidc(spec, claims)
    else:
        response = client.get(spec.userinfo_url, token=token)
        response.raise_for_status()
        data = response.json()
        if not isinstance(data, dict):
            raise InvalidInput(f"{spec.name} answered with an unexpected user record.")
        profile = _twitter(data) if spec.kind is ProviderKind.TWITTER else _facebook(data)
    if not profile.subject or len(profile.subject) > 255:
        raise InvalidInput(f"{spec.name} did not say who you are; try signing in again.")
    return profile
