"""Integration tests: the real server, over HTTP, with its real clients.

They start the service (python -m app) on a free local port, configured from
the environment as in production, so that /ready checks the dependencies it
points at. With SERVICE_URL set, they test the service that answers there
instead (after blissful-infra up).
"""
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

PROJECT = Path(__file__).resolve().parents[2]
HEALTHY_WITHIN_S = 30

# The checks this service was generated with, in the order /ready lists them.
{{#if database,kafka}}
EXPECTED_CHECKS = [
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
EXPECTED_CHECKS = []
{{/if}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen | None = None) -> None:
    """Until /health answers 200, for HEALTHY_WITHIN_S at most."""
    deadline = time.monotonic() + HEALTHY_WITHIN_S
    while True:
        if server is not None and server.poll() is not None:
            pytest.fail(f"the service exited with status {server.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"the service at {url} did not become healthy in {HEALTHY_WITHIN_S} s")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """(base URL, path of the service's stdout, or None when not ours)."""
    if "SERVICE_URL" in os.environ:
        url = os.environ["SERVICE_URL"].rstrip("/")
        wait_until_healthy(url)
        yield url, None
        return
    port = free_port()
    log_path = tmp_path_factory.mktemp("service") / "stdout.log"
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "app"], cwd=PROJECT, env=env, stdout=log_file
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, server)
        yield url, log_path
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def client(service):
    with httpx.Client(base_url=service[0], timeout=10) as client:
        yield client


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.content == b'{"status":"ok"}'


def test_hello(client):
    assert client.get("/hello").content == b'{"message":"Hello, World!"}'
    assert client.get("/hello/world").content == b'{"message":"Hello, world!"}'


def test_echo(client):
    body = b'{"integration": [1, 2.50, null]}'
    response = client.post("/echo", content=body)
    assert (response.status_code, response.content) == (200, body)
    assert client.post("/echo", content=b"{").status_code == 400


def test_ready_reports_every_dependency(client):
    response = client.get("/ready")
    body = response.json()
    assert list(body["checks"]) == EXPECTED_CHECKS
    assert set(body["checks"].values()) <= {"up", "down"}
    all_up = all(state == "up" for state in body["checks"].values())
    assert response.status_code == (200 if all_up else 503), body
    assert body["status"] == ("ready" if all_up else "not ready")


def test_live_and_startup(client):
    assert client.get("/live").content == b'{"status":"alive"}'
    assert client.get("/startup").json()["startup_ms"] >= 0


def test_requests_show_in_the_metrics(client):
    client.get("/hello/integration")
    text = client.get("{{METRICS_PATH}}").text
    assert 'http_requests_total{method="GET",path="/hello/{name}",status="200"}' in text
    assert 'http_request_duration_seconds_count{method="GET",path="/hello/{name}"}' in text


def test_logs_are_json_lines(client, service):
    log_path = service[1]
    if log_path is None:
        pytest.skip("the service's stdout is not ours to read")
    client.get("/hello/logs")
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert all({"@timestamp", "level", "message", "logger_name"} <= line.keys() for line in lines)
    requests = [line for line in lines if line.get("path") == "/hello/logs"]
    assert len(requests) == 1
    assert requests[0]["method"] == "GET" and requests[0]["status"] == 200
    assert requests[0]["duration_ms"] >= 0
