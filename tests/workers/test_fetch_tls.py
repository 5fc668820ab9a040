"""HTTPS through the pinned connection: the checked address is dialled, yet SNI and the
certificate check use the host name."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from workers import fetch as fetch_module
from workers.fetch import FetchPolicy, PermanentFetchError, fetch

NAME = "blog.pinned.test"


def self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path):
    cert, key = self_signed(tmp_path, NAME)
    seen: list[str] = []

    @Request.application
    def app(request: Request) -> Response:
        seen.append(request.host)
        return Response("<p>over tls</p>", content_type="text/html")

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port, cert, seen
    server.shutdown()


def test_https_keeps_the_name_for_sni_and_the_certificate(tls_server, monkeypatch):
    port, cert, seen = tls_server
    monkeypatch.setattr(fetch_module, "resolve", lambda host, _port: ["127.0.0.1"])
    policy = FetchPolicy(
        allow_networks=(ipaddress.ip_network("127.0.0.0/8"),), timeout=3, ca_bundle=str(cert)
    )
    result = fetch(f"https://{NAME}:{port}/post", policy)
    assert b"over tls" in result.body
    assert seen == [f"{NAME}:{port}"]


def test_https_refuses_a_certificate_for_another_name(tls_server, monkeypatch):
    port, cert, _ = tls_server
    monkeypatch.setattr(fetch_module, "resolve", lambda host, _port: ["127.0.0.1"])
    policy = FetchPolicy(
        allow_networks=(ipaddress.ip_network("127.0.0.0/8"),), timeout=3, ca_bundle=str(cert)
    )
    with pytest.raises(PermanentFetchError, match="certificate"):
        fetch(f"https://other.pinned.test:{port}/post", policy)
