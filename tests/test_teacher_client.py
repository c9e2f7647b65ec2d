"""The SDK-backed client: headers from the environment, pass-through options, Azure, redirects,
typed errors."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from fault_server import FaultServer

from distill_lib.config_sections import TeacherConfig
from distill_lib.teacher import Endpoint, RetryPolicy, TeacherClient, generate

SECRET = "sk-test-SECRET-0123456789abcdef"
EXAMPLES = [
    {"id": str(i), "input": f"thing {i}?\nAnswer Choices:\n(a) yes\n(b) no", "label": "yes"}
    for i in range(2)
]


@pytest.fixture()
def cfg(tmp_path, monkeypatch):
    monkeypatch.setenv("CLIENT_TEST_KEY", SECRET)
    for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_BASE_URL", "OPENAI_CUSTOM_HEADERS"):
        monkeypatch.delenv(name, raising=False)
    return TeacherConfig(
        model="m",
        base_url="",
        api_key_env="CLIENT_TEST_KEY",
        template="cqa",
        timeout_s=2,
        cache_dir=str(tmp_path / "cache"),
    )


def test_org_and_project_headers_and_request_options_reach_the_server(cfg, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_ORG_ID", "org-test")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-test")
    options = {"extra_body": {"top_k": 5}, "response_format": {"type": "json_object"}}
    with FaultServer() as server:
        report = generate(
            replace(cfg, base_url=server.base_url),
            EXAMPLES,
            tmp_path / "run",
            progress=False,
            **options,
        )
        assert report.summary["done"] == 2
        for call in server.calls:
            assert call["headers"]["openai-organization"] == "org-test"
            assert call["headers"]["openai-project"] == "proj-test"
            assert call["headers"]["authorization"] == f"Bearer {SECRET}"
            body = json.loads(call["body"])
            assert body["top_k"] == 5 and body["response_format"] == {"type": "json_object"}
        # the options are part of the request: without them it is a different one
        server.reset_counts()
        plain = generate(
            replace(cfg, base_url=server.base_url), EXAMPLES, tmp_path / "run", progress=False
        )
        assert plain.summary["requests_made"] == 2 and "top_k" not in json.loads(
            server.calls[0]["body"]
        )


def test_azure_endpoint_gets_the_azure_client(cfg, tmp_path, monkeypatch):
    """An *.openai.azure.com base URL: deployment path, api-version query and api-key header (via a
    proxy)."""
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-10-21")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with FaultServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url.removesuffix("/v1"))
        azure = replace(cfg, base_url="http://myres.openai.azure.com", model="my-deployment")
        report = generate(azure, EXAMPLES, tmp_path / "run", progress=False)
    assert report.summary["done"] == 2
    for call in proxy.calls:
        assert call["path"] == (
            "http://myres.openai.azure.com/openai/deployments/my-deployment/chat/completions"
            "?api-version=2024-10-21"
        )
        assert call["headers"]["api-key"] == SECRET


def test_redirect_to_another_origin_is_not_followed_nor_cached(cfg, tmp_path):
    with (
        FaultServer() as elsewhere,
        FaultServer(
            lambda prompt, attempt: "redirect", redirect_to=elsewhere.base_url.removesuffix("/v1")
        ) as server,
    ):
        report = generate(
            replace(cfg, base_url=server.base_url),
            EXAMPLES,
            tmp_path / "run",
            retry=RetryPolicy(max_retries=2, base_s=0.01),
            progress=False,
        )
        assert not elsewhere.calls and report.summary["failed"] == 2
        # not retried: the same redirect would come back
        assert report.summary["requests_made"] == 2
    assert all("redirect to another origin" in f["reason"] for f in report.summary["failures"])
    assert not list((tmp_path / "cache").rglob("*.json"))


def test_errors_are_typed_and_the_sdk_does_not_retry(cfg, tmp_path):
    with FaultServer(lambda prompt, attempt: "404" if attempt == 1 else "ok") as server:
        report = generate(
            replace(cfg, base_url=server.base_url), EXAMPLES[:1], tmp_path / "run", progress=False
        )
        assert report.summary["failures"][0]["reason"].startswith(
            "NotFoundError: HTTP 404: injected 404"
        )
        assert sum(server.requests.values()) == 1
    assert TeacherClient(server.base_url, SECRET, "m").sdk.max_retries == 0


def test_endpoint_repr_hides_the_api_key():
    endpoint = Endpoint("http://127.0.0.1:1/v1", "m", SECRET)
    assert (
        SECRET not in repr(endpoint) and SECRET not in str(endpoint) and endpoint.api_key == SECRET
    )
