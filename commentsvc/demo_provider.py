"""A small real OAuth 2.0 / OpenID Connect provider (Authlib's AuthorizationServer) that stands
in for Twitter/X, Facebook or an OpenID Connect issuer, with their response shapes:

- ``twitter``: authorization code with PKCE (required), confidential client with HTTP Basic,
  ``GET /2/users/me`` -> ``{"data": {"id", "name", "username", "profile_image_url"}}``;
- ``facebook``: authorization code with PKCE (which Facebook Login accepts and then checks),
  ``client_secret_post``,
  ``GET /me?fields=id,name,picture`` -> ``{"id", "name", "picture": {"data": {"url"}}}``;
- ``oidc``: discovery, JWKS, RS256 ID tokens carrying the client's nonce, ``/userinfo``.

``commentsvc demo`` mounts one per built-in provider beside the service, so a newcomer sees every
sign-in the service offers without registering an app anywhere; the test suite serves the same
class on loopback ports. It is never part of :func:`commentsvc.create_app`: no configured
deployment answers its routes. Its consent page says plainly that it is a stand-in, and it keeps
codes and tokens in memory only.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Error, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, Response, abort, jsonify, render_template, request
from joserfc.jwk import RSAKey

USERS = {
    "alice": {"id": "1001", "name": "Alice Example", "username": "alice"},
    "bob": {"id": "1002", "name": "Bob Example", "username": "bob"},
}
PIXEL = bytes.fromhex(  # a 1x1 blue GIF: an avatar that shows, served without leaving loopback
    "474946383961010001008000001d4ed800000021f90401000000002c00000000010001000002024401003b"
)
LABELS = {"twitter": "Twitter/X", "facebook": "Facebook", "oidc": "an OpenID Connect provider"}
SCOPES = {
    "twitter": "users.read tweet.read",
    "facebook": "public_profile email",
    "oidc": "openid profile email",
}


@cache
def signing_key() -> RSAKey:
    """One RSA key per test session: generating it is the slow part."""
    return RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"}, private=True)


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    auth_method: str
    scope: str
    redirect_uris: list[str] = field(default_factory=list)  # empty: accept any (tests vary ports)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str) -> str:
        allowed = set(self.scope.split())
        return " ".join(part for part in (scope or "").split() if part in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return not self.redirect_uris or redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint != "token" or method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: str
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class Provider:
    """One provider of ``kind`` (twitter | facebook | oidc), its state kept in memory."""

    def __init__(self, kind: str, client_id: str = "commentsvc-demo", default_user: str = "alice"):
        self.kind = kind
        self.default_user = default_user
        self.issuer = ""  # set once served: the discovery document names it
        self.reset()
        scope = SCOPES[kind]
        self.client = Client(
            client_id=client_id,
            client_secret=secrets.token_urlsafe(24),  # per process: nothing to leak
            auth_method="client_secret_post" if kind == "facebook" else "client_secret_basic",
            scope=scope,
        )
        self.app = self._build_app()

    def reset(self) -> None:
        """Forget codes and tokens (between tests)."""
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, str] = {}  # access token -> user
        self.used_codes: list[str] = []

    # -- the authorization server ------------------------------------------------------

    def _grant_class(self):
        provider = self

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [
                "client_secret_basic",
                "client_secret_post",
            ]

            def save_authorization_code(self, code, request):
                payload = request.payload
                provider.codes[code] = Code(
                    code=code,
                    client_id=request.client.get_client_id(),
                    redirect_uri=payload.redirect_uri,
                    scope=request.scope,
                    user=request.user,
                    code_challenge=payload.data.get("code_challenge"),
                    code_challenge_method=payload.data.get("code_challenge_method"),
                    nonce=payload.data.get("nonce"),
                    auth_time=int(time.time()),
                )

            def query_authorization_code(self, code, client):
                item = provider.codes.get(code)
                if item is not None and item.client_id == client.get_client_id():
                    return item
                return None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)
                provider.used_codes.append(authorization_code.code)

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        return CodeGrant

    def _openid_extension(self) -> OpenIDCode:
        provider = self

        class ProviderOpenIDCode(OpenIDCode):
            def resolve_client_private_key(self, client):
                return signing_key()

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": "test-key"}

            def get_client_claims(self, client):
                now = int(time.time())
                return {"iss": provider.issuer, "aud": [client.get_client_id()], "exp": now + 600}

            def exists_nonce(self, nonce, request):
                return any(code.nonce == nonce for code in provider.codes.values())

            def generate_user_info(self, user, scope):
                return provider.oidc_claims(user)

        return ProviderOpenIDCode(require_nonce=True)

    def _build_app(self) -> Flask:
        app = Flask(__name__, template_folder="templates")  # commentsvc/templates
        app.config["SECRET_KEY"] = secrets.token_urlsafe(32)  # it keeps no session; Flask asks
        server = AuthorizationServer(
            app, query_client=self._query_client, save_token=self._save_token
        )
        extensions: list[Any] = []
        if self.kind in {"twitter", "facebook"}:
            extensions.append(CodeChallenge(required=True))
        if self.kind == "oidc":
            extensions += [CodeChallenge(required=False), self._openid_extension()]
        server.register_grant(self._grant_class(), extensions)
        self._routes(app, server)
        return app

    def _query_client(self, client_id: str) -> Client | None:
        return self.client if client_id == self.client.client_id else None

    def _save_token(self, token: dict[str, Any], request) -> None:
        self.tokens[token["access_token"]] = request.user

    def oidc_claims(self, user: str) -> dict[str, Any]:
        data = USERS[user]
        return {
            "sub": f"oidc-{data['id']}",
            "name": data["name"],
            "preferred_username": data["username"],
            "email": f"{data['username']}@idp.example",
            "email_verified": True,
            "picture": f"{self.issuer}/img/oidc-{data['username']}.gif",
        }

    def _user_of_bearer(self) -> str:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = self.tokens.get(token) if scheme.lower() == "bearer" else None
        if user is None:
            abort(401)
        return user

    # -- endpoints -----------------------------------------------------------------

    def _routes(self, app: Flask, server: AuthorizationServer) -> None:
        provider = self

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize():
            try:
                server.get_consent_grant(end_user=None)  # validates client, redirect_uri, PKCE
            except OAuth2Error as error:
                return Response(f"{error.error}: {error.description}", 400, mimetype="text/plain")
            if request.method == "GET":
                return render_template(
                    "demo_provider/consent.html",
                    label=LABELS[provider.kind],
                    client_id=request.args.get("client_id"),
                    users=USERS,
                    default=provider.default_user,
                )
            user = request.form.get("user") if request.form.get("confirm") == "yes" else None
            if user is not None and user not in USERS:
                abort(400)
            return server.create_authorization_response(grant_user=user)

        @app.post("/token")
        def token():
            return server.create_token_response()

        @app.get("/2/users/me")
        def twitter_me():
            data = USERS[provider._user_of_bearer()]
            return jsonify(
                data={
                    "id": data["id"],
                    "name": data["name"],
                    "username": data["username"],
                    "profile_image_url": f"{provider.issuer}/img/{data['username']}_normal.gif",
                }
            )

        @app.get("/me")
        def facebook_me():
            data = USERS[provider._user_of_bearer()]
            url = f"{provider.issuer}/img/fb-{data['username']}.gif"
            picture = {"data": {"height": 50, "width": 50, "is_silhouette": False, "url": url}}
            body = {"id": f"fb{data['id']}", "name": data["name"], "picture": picture}
            fields = set((request.args.get("fields") or "id,name").split(","))
            return jsonify({key: value for key, value in body.items() if key in fields})

        @app.get("/img/<name>.gif")
        def image(name: str):
            """Avatars live on the provider, so browsers load them without leaving loopback."""
            return PIXEL, 200, {"Content-Type": "image/gif"}

        @app.get("/userinfo")
        def userinfo():
            return jsonify(provider.oidc_claims(provider._user_of_bearer()))

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                issuer=provider.issuer,
                authorization_endpoint=f"{provider.issuer}/authorize",
                token_endpoint=f"{provider.issuer}/token",
                userinfo_endpoint=f"{provider.issuer}/userinfo",
                jwks_uri=f"{provider.issuer}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                code_challenge_methods_supported=["S256"],
                token_endpoint_auth_methods_supported=["client_secret_basic"],
            )

        @app.get("/jwks")
        def jwks():
            return jsonify(keys=[signing_key().as_dict(private=False)])

    # -- configuration for commentsvc ------------------------------------------------

    def config(self, url: str) -> dict[str, str]:
        """The COMMENTSVC settings that point commentsvc at this provider served at ``url``."""
        self.issuer = url
        secret = self.client.client_secret
        if self.kind == "twitter":
            return {
                "TWITTER_CLIENT_ID": self.client.client_id,
                "TWITTER_CLIENT_SECRET": secret,
                "TWITTER_AUTHORIZE_URL": f"{url}/authorize",
                "TWITTER_TOKEN_URL": f"{url}/token",
                "TWITTER_USERINFO_URL": f"{url}/2/users/me?user.fields=profile_image_url",
            }
        if self.kind == "facebook":
            return {
                "FACEBOOK_CLIENT_ID": self.client.client_id,
                "FACEBOOK_CLIENT_SECRET": secret,
                "FACEBOOK_AUTHORIZE_URL": f"{url}/authorize",
                "FACEBOOK_TOKEN_URL": f"{url}/token",
                "FACEBOOK_USERINFO_URL": f"{url}/me?fields=id,name,picture",
            }
        return {
            "OIDC_ACME_ISSUER": url,
            "OIDC_ACME_CLIENT_ID": self.client.client_id,
            "OIDC_ACME_CLIENT_SECRET": secret,
            "OIDC_ACME_DISPLAY_NAME": "Acme ID",
        }
