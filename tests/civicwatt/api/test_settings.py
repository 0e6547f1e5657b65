"""The `api:` section in check-config, and uvicorn's own TLS serving the API."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from civicwatt.config import ConfigError
from civicwatt.config.advice import advice
from tests.civicwatt.api.conftest import serve
from tests.civicwatt.api.site import write_site


@pytest.mark.parametrize("api,where,says", [
    ({"cors_origins": ["*"]}, "api.cors_origins", "no path, no wildcard"),
    ({"cors_origins": ["https://portal.example.org/app"]}, "api.cors_origins",
     "an origin is scheme://host[:port]"),
    ({"forwarded_allow_ips": ["proxy.local"]}, "api.forwarded_allow_ips",
     "an IP address or network"),
    ({"tls": {"cert_file": "missing.pem", "key_file": "missing.key"}}, "api.tls.cert_file",
     "no such file next to the config"),
    ({"rate_limit": {"per_s": 0}}, "api.rate_limit.per_s", "greater than 0"),
    ({"enable": True}, "api.enable", "unknown key"),
])
def test_check_config_names_api_mistakes(tmp_path, api, where, says):
    with pytest.raises(ConfigError) as caught:
        write_site(tmp_path, api=api)
    text = "\n".join(str(p) for p in caught.value.problems)
    assert where in text and says in text, text


def test_a_public_plain_http_api_is_a_warning(tmp_path):
    public = write_site(tmp_path / "a", http="0.0.0.0:8080")
    assert any("clear text" in message for _, _, message in advice(public))
    local = write_site(tmp_path / "b", http="127.0.0.1:8080")
    assert not any("clear text" in message for _, _, message in advice(local))


def self_signed(folder) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return "cert.pem", "key.pem"


def test_uvicorn_serves_the_api_over_tls(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    cert, key_file = self_signed(tmp_path)
    server, served = serve(tmp_path, api={"tls": {"cert_file": cert, "key_file": key_file}},
                           days=1)
    try:
        assert served.url.startswith("https://127.0.0.1:")
        key = served.key("read")
        response = httpx.get(served.url + "/api/v1/site", headers={"X-API-Key": key},
                             verify=ssl.create_default_context(cafile=str(tmp_path / cert)))
        assert response.status_code == 200 and response.json()["id"] == "hq"
        with pytest.raises(httpx.HTTPError):
            httpx.get(served.url.replace("https", "http") + "/healthz", timeout=5)
    finally:
        server.stop()
        served.store.close()
