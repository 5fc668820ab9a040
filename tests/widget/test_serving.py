"""/embed.js, /count.js and the catalogues: content types, caching, gzip, and what they hold."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from commentsvc import assets, markup, widget

FILES = ["/embed.js", "/count.js", "/embed/i18n/de.json"]


@pytest.mark.parametrize("path", FILES)
def test_files_are_served_with_type_etag_and_cache_headers(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    expected = "application/json" if path.endswith(".json") else "text/javascript"
    assert response.mimetype == expected and response.mimetype_params == {"charset": "utf-8"}
    assert response.headers["Cache-Control"] == widget.CACHE_CONTROL
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Encoding" not in response.headers
    etag = response.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag


@pytest.mark.parametrize("path", FILES)
def test_gzip_is_sent_only_to_clients_that_accept_it(client, path: str) -> None:
    plain = client.get(path)
    zipped = client.get(path, headers={"Accept-Encoding": "br;q=1, gzip;q=0.8"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    refused = client.get(path, headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    revalidated = client.get(
        path, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]}
    )
    assert revalidated.status_code == 304


def test_widget_bundle_inlines_css_catalogue_and_languages(client) -> None:
    source = client.get("/embed.js").get_data(as_text=True)
    assert "/*CSS*/" not in source and "/*MESSAGES*/" not in source
    assert ":host{all:initial" in source
    assert '"responses":{"one":"{n} response"' in source
    assert json.dumps(widget.languages(), separators=(",", ":")) in source
    assert "Isolation: a shadow root" not in source  # minified: comments gone


def test_widget_bundle_carries_the_servers_html_allow_list(client) -> None:
    """One list: the widget's filter is what markup.py allows, and embed.js keeps no copy."""
    source = client.get("/embed.js").get_data(as_text=True)
    tags = json.loads(re.search(r"const TAGS=new Set\((\[[^\]]*\])\)", source)[1])
    attributes = json.loads(re.search(r"const ATTRS=(\{.*?\});", source)[1])
    schemes = json.loads(re.search(r"const SCHEMES=(\[[^\]]*\]);", source)[1])
    assert {tag.lower() for tag in tags} == markup.ALLOWED_TAGS and "S" in tags
    assert {tag.lower(): set(names) for tag, names in attributes.items()} == {
        tag: set(names) for tag, names in markup.ALLOWED_ATTRIBUTES.items()
    }
    assert {scheme.rstrip(":") for scheme in schemes} == markup.URL_SCHEMES
    raw = (assets.embed_dir() / "embed.js").read_text("utf-8")
    assert "STRONG" not in raw and "BLOCKQUOTE" not in raw and "mailto" not in raw


@pytest.mark.parametrize("language", ["xx", "EN", "e", "../en", "en.json", "english"])
def test_unknown_or_malformed_catalogue_is_a_404_problem(client, language: str) -> None:
    response = client.get(f"/embed/i18n/{language}.json")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_every_catalogue_translates_every_message() -> None:
    folder = assets.embed_dir() / "i18n"
    english = json.loads((folder / "en.json").read_text())
    for path in folder.glob("*.json"):
        catalogue = json.loads(path.read_text())
        assert catalogue.keys() == english.keys(), path.name
        for key, text in catalogue.items():
            forms = text.values() if isinstance(text, dict) else [text]
            assert all(form.strip() for form in forms), (path.name, key)
            if isinstance(text, dict):
                assert "other" in text, (path.name, key)


def test_edited_sources_are_rebuilt(client, tmp_path, monkeypatch) -> None:
    copy = tmp_path / "embed"
    (copy / "i18n").mkdir(parents=True)
    for name in ("embed.js", "embed.css", "count.js", "i18n/en.json"):
        (copy / name).write_bytes((assets.embed_dir() / name).read_bytes())
    monkeypatch.setattr(assets, "embed_dir", lambda: copy)
    first = client.get("/count.js")
    (copy / "count.js").write_text("/* changed */ var changed = /*COUNTS*/ {};\n")
    second = client.get("/count.js")
    assert second.data.startswith(b'var changed={"en":{"count":{"one":"{n} comment"')
    assert second.headers["ETag"] != first.headers["ETag"]
