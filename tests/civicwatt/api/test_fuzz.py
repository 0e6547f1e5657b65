"""A schema-driven fuzz run (schemathesis) of /api/v1/openapi.json against a running server with
the demo store: no 5xx, every status, content type and body as the document declares, keys
checked by every other test here; `test_every_operation_needs_a_key` sends each operation of
the document without a key.

Requests go out through httpx: schemathesis's own `requests` transport (and so its
`ignored_auth` probe) trips over the urllib3-future that niquests, a project dependency,
installs in place of urllib3."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.civicwatt.api.conftest import serve


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    many = {"rate_limit": {"per_s": 100_000, "burst": 100_000},
            "auth_failures_per_min": 10_000}
    server, served = serve(tmp_path_factory.mktemp("fuzz"), api=many)
    served.reports = served.site.base_dir / served.site.report.out_dir
    served.reports.mkdir(exist_ok=True)
    (served.reports / "hq-2026-10-01-report.zh.html").write_text("<html>r</html>")
    yield served, served.key("read")
    server.stop()
    served.store.close()


@pytest.fixture(scope="module")
def api_schema(fuzzed):
    served, _ = fuzzed
    return schemathesis.openapi.from_url(f"{served.url}/api/v1/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_openapi_document_holds_under_fuzzing(fuzzed, case):
    served, key = fuzzed
    headers = {"X-API-Key": key}
    sent = case.as_transport_kwargs(base_url=served.url, headers=headers)
    # schemathesis may fill the bearer scheme with "Bearer ", which httpx refuses to send
    sent["headers"] = {k: v.strip() for k, v in (sent.get("headers") or {}).items()
                       if v.strip() not in ("", "Bearer")}
    response = httpx.request(sent["method"], sent["url"], headers=sent["headers"],
                             params=sent.get("params"), cookies=sent.get("cookies"),
                             content=sent.get("data"), timeout=30)
    case.validate_response(response, headers=headers, transport_kwargs=sent,
                           excluded_checks=[schemathesis.checks.ignored_auth])


def test_every_operation_needs_a_key(fuzzed):
    served, _ = fuzzed
    document = httpx.get(f"{served.url}/api/v1/openapi.json").json()
    concrete = {"building_id": "b1", "day": "2026-10-01", "name": "hq-2026-10-01-report.zh.html"}
    paths = [path.format(**concrete) for path in document["paths"]]
    assert len(paths) == 10  # + /statistics (issue 17)
    for path in paths:
        response = httpx.get(served.url + path, params={"from": "2026-10-01", "to": "2026-10-02"})
        assert response.status_code == 401, path
        assert response.json()["detail"].startswith("no API key")
