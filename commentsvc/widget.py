"""Serves the browser code in embed/: ``/embed.js``, ``/count.js`` and the widget's catalogues.

``/embed.js`` goes out as one file (its CSS, the English catalogue and the list of languages
inlined) so that a page needs a single request before the thread's: the sources stay
readable with no build step, and this module minifies them (rjsmin, rcssmin) when first
asked and again whenever a source file changes. Every file is served with a strong ETag,
revalidating cache headers and a gzipped variant for clients that accept it. ``/count.js``
carries the count wording of every catalogue, so an index page words its counts in its own
language without a second request.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import rcssmin
import rjsmin
from flask import Blueprint, Response, request

from commentsvc import assets, markup
from commentsvc.encodings import accepts_gzip
from commentsvc.errors import NotFound

bp = Blueprint("widget", __name__)

JAVASCRIPT = "text/javascript; charset=utf-8"
JSON = "application/json; charset=utf-8"
# Browsers revalidate after ten minutes and meanwhile serve the cached copy: a new widget
# version reaches every page within minutes without costing readers a round trip.
CACHE_CONTROL = "public, max-age=600, stale-while-revalidate=86400"
LANGUAGE = re.compile(r"[a-z]{2,3}")
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Asset:
    """One served file, built once: its bytes, their gzip, and an ETag for each."""

    body: bytes
    gzipped: bytes
    etag: str
    content_type: str

    @classmethod
    def of(cls, body: bytes, content_type: str) -> Asset:
        return cls(
            body=body,
            gzipped=gzip.compress(body, compresslevel=9, mtime=0),
            etag=hashlib.sha256(body).hexdigest()[:32],
            content_type=content_type,
        )


def languages() -> list[str]:
    """The widget's languages: one catalogue each in embed/i18n/."""
    return sorted(path.stem for path in (assets.embed_dir() / "i18n").glob("*.json"))


def _catalogue(language: str) -> dict[str, object]:
    return json.loads((assets.embed_dir() / "i18n" / f"{language}.json").read_text("utf-8"))


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def build_widget() -> bytes:
    """embed.js with its CSS, default catalogue, language list and the server's HTML allow-list
    inlined, minified: the widget's second filter keeps what the server keeps, from one list."""
    folder = assets.embed_dir()
    source = (folder / "embed.js").read_text("utf-8")
    css = rcssmin.cssmin((folder / "embed.css").read_text("utf-8"))
    attributes = markup.ALLOWED_ATTRIBUTES
    for placeholder, value in (
        ('/*CSS*/ ""', css),
        ("/*MESSAGES*/ {}", _catalogue(DEFAULT_LANGUAGE)),
        ('/*LANGS*/ ["en"]', languages()),
        ("/*TAGS*/ []", sorted(tag.upper() for tag in markup.ALLOWED_TAGS)),
        ("/*ATTRS*/ {}", {tag.upper(): sorted(names) for tag, names in attributes.items()}),
        ("/*SCHEMES*/ []", sorted(f"{scheme}:" for scheme in markup.URL_SCHEMES)),
    ):
        if placeholder not in source:
            raise RuntimeError(f"embed.js lost its {placeholder} placeholder")
        source = source.replace(placeholder, _compact(value), 1)
    return rjsmin.jsmin(source).encode()


COUNT_KEYS = ("count", "countNone")


def count_wording() -> dict[str, dict[str, object]]:
    """``{language: {"count": {...plural forms}, "countNone": "..."}}`` for every catalogue that
    words counts (count.js falls back to English for one that doesn't yet)."""
    wording = {}
    for language in languages():
        catalogue = _catalogue(language)
        if all(key in catalogue for key in COUNT_KEYS):
            wording[language] = {key: catalogue[key] for key in COUNT_KEYS}
    return wording


def build_counter() -> bytes:
    """count.js with the count wording of every catalogue inlined, minified."""
    source = (assets.embed_dir() / "count.js").read_text("utf-8")
    placeholder = "/*COUNTS*/ {}"
    if placeholder not in source:
        raise RuntimeError(f"count.js lost its {placeholder} placeholder")
    return rjsmin.jsmin(source.replace(placeholder, _compact(count_wording()), 1)).encode()


def build_catalogue(language: str) -> bytes:
    return _compact(_catalogue(language)).encode()


_BUILDERS = {
    "embed.js": (build_widget, JAVASCRIPT, ("embed.js", "embed.css", "i18n")),
    "count.js": (build_counter, JAVASCRIPT, ("count.js", "i18n")),
}
_built: dict[str, tuple[tuple[float, ...], Asset]] = {}
_lock = threading.Lock()


def _stamp(paths: tuple[Path, ...]) -> tuple[float, ...]:
    """Modification times of the sources (and of folders, for added catalogues)."""
    stamps: list[float] = []
    for path in paths:
        stamps.append(path.stat().st_mtime)
        if path.is_dir():
            stamps.extend(child.stat().st_mtime for child in sorted(path.iterdir()))
    return tuple(stamps)


def _asset(name: str) -> Asset:
    """The built file, rebuilt only when one of its sources changed (edits in a checkout)."""
    folder = assets.embed_dir()
    if name in _BUILDERS:
        build, content_type, sources = _BUILDERS[name]
        paths = tuple(folder / source for source in sources)
    else:
        language = name.removeprefix("i18n/").removesuffix(".json")
        paths = (folder / "i18n" / f"{language}.json",)
        content_type = JSON

        def build() -> bytes:
            return build_catalogue(language)

    stamp = _stamp(paths)
    with _lock:
        cached = _built.get(name)
        if cached is None or cached[0] != stamp:
            cached = (stamp, Asset.of(build(), content_type))
            _built[name] = cached
    return cached[1]


def _send(asset: Asset) -> Response:
    """200 or 304, gzipped when the client accepts it, with a distinct ETag per encoding."""
    is_gzip = accepts_gzip(request.headers.get("Accept-Encoding", ""))
    etag = f"{asset.etag}-gz" if is_gzip else asset.etag
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(
            asset.gzipped if is_gzip else asset.body, content_type=asset.content_type
        )
        if is_gzip:
            response.headers["Content-Encoding"] = "gzip"
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Vary"] = "Accept-Encoding"
    # Public, cookie-free files: any page may load them, with or without CORS or COEP.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/embed.js")
def embed_js() -> Response:
    return _send(_asset("embed.js"))


@bp.get("/count.js")
def count_js() -> Response:
    return _send(_asset("count.js"))


@bp.get("/embed/i18n/<language>.json")
def catalogue(language: str) -> Response:
    if not LANGUAGE.fullmatch(language) or language not in languages():
        raise NotFound(f"The widget has no catalogue for {language!r}.")
    return _send(_asset(f"i18n/{language}.json"))
