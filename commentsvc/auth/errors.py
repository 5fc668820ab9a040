"""Sign-in errors beyond the shared hierarchy."""

from __future__ import annotations

from commentsvc.errors import ServiceError


class ProviderUnavailable(ServiceError):
    """The provider could not be reached or answered nonsense: not the commenter's fault."""

    status = 502
    code = "provider-unavailable"
    title = "Sign-in provider unavailable"
