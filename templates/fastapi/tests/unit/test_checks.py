{{#if database,kafka}}
import dataclasses
import socket

import pytest
from fastapi.testclient import TestClient

{{/if}}
from app import checks
{{#if database,kafka}}
from app.main import create_app
{{/if}}

# The checks this service was generated with, in the order /ready lists them.
{{#if database,kafka}}
EXPECTED = [
{{#if postgres}}
    "postgres",
{{/if}}
{{#if redis}}
    "redis",
{{/if}}
{{#if kafka}}
    "kafka",
{{/if}}
]
{{else}}
EXPECTED = []
{{/if}}


def test_one_check_per_chosen_dependency():
    assert list(checks.CHECKS) == EXPECTED
{{#if database,kafka}}


@pytest.fixture
def closed_port():
    """A local port that nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_dependencies_are_down(monkeypatch, closed_port):
    unreachable = dataclasses.replace(
        checks.settings,
{{#if postgres}}
        database_url=f"postgres://app:app@127.0.0.1:{closed_port}/{{PROJECT_IDENT}}",
{{/if}}
{{#if redis}}
        redis_url=f"redis://127.0.0.1:{closed_port}",
{{/if}}
{{#if kafka}}
        kafka_bootstrap_servers=f"127.0.0.1:{closed_port}",
{{/if}}
    )
    monkeypatch.setattr(checks, "settings", unreachable)
    with TestClient(create_app()) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "checks": {name: "down" for name in EXPECTED},
    }
{{/if}}
