"""The portal app as a phone browser sees it: Chinese pages, local assets, strict headers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from deployments.portal.app import create_app
from models.profile.schema import DistrictProfile


@pytest.fixture
def client(registry: DistrictProfile) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def test_pages_are_chinese_with_strict_headers_and_only_local_assets(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "社区教育服务平台" in page.text and 'lang="zh-CN"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text and "http://" not in page.text and "https://" not in page.text
    css = client.get("/static/portal.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "url(" not in css.text and "@import" not in css.text  # nothing fetched from elsewhere
    assert css.headers["cache-control"].startswith("public")
