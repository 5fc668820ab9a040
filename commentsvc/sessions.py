"""Flask's signed-cookie session, opened only when the request carries the cookie.

The stock interface builds a signing serializer for every request; the widget's API requests
(every page view) carry no cookie at all, so they skip that work.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieOnDemandSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if "HTTP_COOKIE" not in request.environ or self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)
