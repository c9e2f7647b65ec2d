"""The teacher against a real local `transformers serve` running a tiny model (started once per
session)."""

from __future__ import annotations

import importlib
from dataclasses import replace

import pytest

from distill_lib.config_sections import TeacherConfig
from distill_lib.models.tiny import tiny_causal, train_tokenizer
from distill_lib.teacher import EmbeddedServer, generate, resolve_endpoint

CHAT_TEMPLATE = (
    "{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<s>assistant: {% endif %}"
)
EXAMPLES = [
    {
        "id": str(i),
        "input": f"Where is thing {i}?\nAnswer Choices:\n(a) here\n(b) there",
        "label": "here",
    }
    for i in range(3)
]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny-teacher")
    tokenizer = train_tokenizer(
        ["Q: where is it? A: So the answer is (a) here."] * 50, vocab_size=300
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tiny_causal(tokenizer).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def local_server(tiny_model_dir, tmp_path_factory):
    server = EmbeddedServer(tiny_model_dir, log_path=tmp_path_factory.mktemp("serve") / "serve.log")
    with server:
        yield server


def served_requests(server: EmbeddedServer) -> int:
    return server.log_path.read_text().count('"POST /v1/')


@pytest.mark.parametrize("chat", [True, False])
def test_generate_then_cached_rerun_makes_zero_requests(local_server, tmp_path, chat):
    cfg = TeacherConfig(
        model=local_server.model,
        base_url=local_server.base_url,
        chat=chat,
        template="cqa",
        max_tokens=4,
        concurrency=3,
        cache_dir=str(tmp_path / "cache"),
    )
    seen = served_requests(local_server)
    report = generate(cfg, EXAMPLES, tmp_path / "run", progress=False)
    assert report.summary["done"] == 3 and report.summary["requests_made"] == 3
    assert served_requests(local_server) - seen == 3
    assert all(
        row["usage"]["completion_tokens"] > 0 and len(row["completions"]) == 1
        for row in report.rows
    )
    assert report.summary["cost"]["usd"] == 0.0
    dataset = report.to_dataset()
    assert len(dataset) == 3 and set(dataset["source"]) == {local_server.model}
    assert {"id", "input", "label", "rationale", "llm_label", "format", "source"} <= set(
        dataset.column_names
    )

    again = generate(cfg, EXAMPLES, tmp_path / "run", progress=False)
    assert again.summary["requests_made"] == 0 and again.summary["cached"] == 3
    assert served_requests(local_server) - seen == 3
    assert [r["completions"] for r in again.rows] == [r["completions"] for r in report.rows]


def test_wrong_model_name_is_a_reported_failure(local_server, tmp_path):
    cfg = TeacherConfig(
        model="not-the-served-path",
        base_url=local_server.base_url,
        template="cqa",
        max_tokens=4,
        cache_dir=str(tmp_path / "cache"),
    )
    report = generate(cfg, EXAMPLES[:1], tmp_path / "run", progress=False)
    assert report.summary["failed"] == 1 and "400" in report.summary["failures"][0]["reason"]


class FakeServer:
    """Stands in for EmbeddedServer in the decision test (the real one is the session fixture
    above)."""

    started: list[str] = []

    def __init__(self, model_dir):
        self.model = str(model_dir)

    def __enter__(self) -> str:
        FakeServer.started.append(self.model)
        return "http://127.0.0.1:1/v1"

    def __exit__(self, *exc_info: object) -> None:
        FakeServer.started.append("stopped")


def test_resolve_endpoint_decisions(monkeypatch):
    server_module = importlib.import_module("distill_lib.teacher.server")
    monkeypatch.setattr(server_module, "embedded_model_dir", lambda: "/models/smollm2")
    monkeypatch.setattr(server_module, "EmbeddedServer", FakeServer)
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    cfg = TeacherConfig(base_url=None, api_key_env="NO_SUCH_KEY_VAR", template="cqa")
    with pytest.raises(RuntimeError, match="NO_SUCH_KEY_VAR"):
        with resolve_endpoint(cfg, profile="paper"):
            pass
    with resolve_endpoint(cfg, profile="smoke") as endpoint:  # no key outside paper: embedded
        assert endpoint.model == "/models/smollm2" and FakeServer.started == ["/models/smollm2"]
    assert FakeServer.started[-1] == "stopped"
    monkeypatch.setenv("NO_SUCH_KEY_VAR", "sk-local-test-key")
    with resolve_endpoint(cfg, profile="paper") as endpoint:
        assert endpoint.base_url is None and endpoint.model == cfg.model
    with resolve_endpoint(replace(cfg, base_url="http://example.invalid/v1")) as endpoint:
        assert (
            endpoint.base_url == "http://example.invalid/v1"
            and endpoint.api_key == "sk-local-test-key"
        )
    with resolve_endpoint(replace(cfg, base_url="embedded")) as endpoint:
        assert (
            endpoint.base_url == "http://127.0.0.1:1/v1"
            and FakeServer.started.count("stopped") == 1
        )
    assert FakeServer.started.count("stopped") == 2


def test_embedded_server_rejects_a_dir_without_a_model(tiny_model_dir):
    """A bad model dir fails fast with a clear error, before any process starts."""
    with pytest.raises(FileNotFoundError, match="config.json"):
        EmbeddedServer(tiny_model_dir / "missing")
