"""Thread keys: one spelling per page."""

from __future__ import annotations

import pytest

from commentsvc.errors import InvalidInput
from commentsvc.services.outbound import canonical_host, host_of
from commentsvc.urls import normalise_origin, normalise_url


@pytest.mark.parametrize(
    ("given", "key"),
    [
        ("HTTPS://Blog.Example.ORG/Post", "https://blog.example.org/Post"),
        ("https://blog.example.org:443/p", "https://blog.example.org/p"),
        ("http://blog.example.org:80/p", "http://blog.example.org/p"),
        ("http://blog.example.org:8080/p", "http://blog.example.org:8080/p"),
        ("https://blog.example.org", "https://blog.example.org/"),
        ("https://blog.example.org/p#comments", "https://blog.example.org/p"),
        (
            "https://blog.example.org/p?utm_source=x&utm_medium=y&id=3",
            "https://blog.example.org/p?id=3",
        ),
        ("https://blog.example.org/p?fbclid=abc&gclid=def", "https://blog.example.org/p"),
        ("https://blog.example.org./p", "https://blog.example.org/p"),
        ("http://[::1]:8000/p", "http://[::1]:8000/p"),
    ],
)
def test_normalise_url(given: str, key: str) -> None:
    assert normalise_url(given) == key


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "/relative",
        "ftp://x.example/",
        "javascript:alert(1)",
        "http://",
        "http://x:99999/",
        "http://x:0/",
        "http://alpha.example\\@beta.example/post",  # a browser's alpha, Python's beta
        "https://user:secret@blog.example.org/p",
    ],
)
def test_normalise_url_refuses(bad: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_url(bad)


def test_origin_has_no_path() -> None:
    assert normalise_origin("HTTPS://Blog.example.org/") == "https://blog.example.org"
    with pytest.raises(InvalidInput):
        normalise_origin("https://blog.example.org/blog")


def test_outbound_limits_and_stops_key_one_host_in_one_spelling() -> None:
    spellings = [
        "https://BÜCHER.example./a",
        "https://bücher.example/b",
        "https://xn--bcher-kva.example:443/c",
    ]
    assert {host_of(url) for url in spellings} == {"xn--bcher-kva.example"}
    assert canonical_host("Bücher.Example.") == "xn--bcher-kva.example"
    addresses = ["93.184.215.14", "1572394766", "93.12113678", "0x5d.0xb8.0xd7.0x0e"]
    assert {canonical_host(spelling) for spelling in addresses} == {"93.184.215.14"}
    assert canonical_host("::FFFF:93.184.215.14") == "93.184.215.14"
    assert canonical_host("2001:DB8:0::1") == "2001:db8::1"
    assert canonical_host("cafe.example") == "cafe.example"
