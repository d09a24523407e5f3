import logging
import re
import time

from prometheus_client import REGISTRY

from app import checks


def sample(name, **labels):
    """A metric's current value; 0 for a series not yet seen."""
    return REGISTRY.get_sample_value(name, labels) or 0


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.content == b'{"status":"ok"}'


def test_hello(client):
    assert client.get("/hello").content == b'{"message":"Hello, World!"}'


def test_hello_name(client):
    response = client.get("/hello/world")
    assert response.status_code == 200
    assert response.content == b'{"message":"Hello, world!"}'


def test_echo_returns_the_body_as_sent(client):
    body = b'{"b": [1, 2.50, null],  "a": "\\u00e9t\xc3\xa9"}'
    response = client.post("/echo", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == body


def test_echo_rejects_what_is_not_json(client):
    for body in (b"", b"not json", b'{"a":', b"[" * 100_000):
        response = client.post("/echo", content=body)
        assert response.status_code == 400
        assert "error" in response.json()


def test_live(client):
    assert client.get("/live").content == b'{"status":"alive"}'


def test_startup(client):
    body = client.get("/startup").json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["started_at"])
    assert isinstance(body["startup_ms"], int) and body["startup_ms"] >= 0


def test_ready_when_every_check_passes(client, monkeypatch):
    monkeypatch.setattr(checks, "CHECKS", {"cache": lambda: None, "db": lambda: None})
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"cache": "up", "db": "up"}}


def test_not_ready_names_the_failing_check(client, monkeypatch):
    def refused():
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(checks, "CHECKS", {"cache": lambda: None, "db": refused})
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "checks": {"cache": "up", "db": "down"}}


def test_a_stalled_check_is_down_at_the_deadline(client, monkeypatch):
    monkeypatch.setattr(checks, "DEADLINE_S", 0.1)
    monkeypatch.setattr(checks, "CHECKS", {"db": lambda: time.sleep(1)})
    started = time.monotonic()
    response = client.get("/ready")
    assert time.monotonic() - started < 0.9
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "checks": {"db": "down"}}


def test_unknown_path_is_a_json_404_counted_as_other(client):
    before = sample("http_requests_total", method="GET", path="other", status="404")
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found"}
    assert sample("http_requests_total", method="GET", path="other", status="404") == before + 1


def test_wrong_method_is_a_405_under_its_route(client):
    before = sample("http_requests_total", method="GET", path="/echo", status="405")
    assert client.get("/echo").status_code == 405
    assert sample("http_requests_total", method="GET", path="/echo", status="405") == before + 1


def test_metrics_label_requests_by_route_pattern(client):
    route = {"method": "GET", "path": "/hello/{name}"}
    requests = sample("http_requests_total", status="200", **route)
    timed = sample("http_request_duration_seconds_count", **route)
    client.get("/hello/metrics")
    assert sample("http_requests_total", status="200", **route) == requests + 1
    assert sample("http_request_duration_seconds_count", **route) == timed + 1

    text = client.get("{{METRICS_PATH}}").text
    assert 'http_requests_total{method="GET",path="/hello/{name}",status="200"}' in text
    assert 'http_request_duration_seconds_count{method="GET",path="/hello/{name}"}' in text
    assert 'path="/hello/metrics"' not in text


def test_an_unhandled_error_is_a_logged_500(app, client, caplog):
    @app.get("/boom")
    async def boom():
        raise RuntimeError("boom")

    with caplog.at_level(logging.INFO):
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"error": "internal server error"}
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info[0] is RuntimeError
    assert sample("http_requests_total", method="GET", path="/boom", status="500") >= 1


def test_each_request_is_logged_with_its_fields(client, caplog):
    with caplog.at_level(logging.INFO, logger="app.access"):
        client.get("/hello/log")
    (record,) = [r for r in caplog.records if r.name == "app.access"]
    assert (record.method, record.path, record.status) == ("GET", "/hello/log", 200)
    assert record.duration_ms >= 0
