import json
import logging
import re
import sys

from app.logs import JsonFormatter, rfc3339


def format_record(level, message, **extra):
    logger = logging.getLogger("test.logs")
    exc_info = sys.exc_info() if extra.pop("with_exception", False) else None
    record = logger.makeRecord(logger.name, level, __file__, 1, message, (), exc_info, extra=extra)
    return json.loads(JsonFormatter().format(record))


def test_a_line_has_the_platform_fields():
    line = format_record(logging.INFO, "hello")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["@timestamp"])
    assert line["level"] == "INFO"
    assert line["message"] == "hello"
    assert line["logger_name"] == "test.logs"
    assert "stack_trace" not in line


def test_request_fields_are_kept():
    line = format_record(
        logging.INFO, "GET / 200", method="GET", path="/", status=200, duration_ms=1.5
    )
    fields = {name: line[name] for name in ("method", "path", "status", "duration_ms")}
    assert fields == {"method": "GET", "path": "/", "status": 200, "duration_ms": 1.5}


def test_levels_use_the_platform_names():
    assert format_record(logging.WARNING, "w")["level"] == "WARN"
    assert format_record(logging.ERROR, "e")["level"] == "ERROR"
    assert format_record(logging.CRITICAL, "c")["level"] == "ERROR"


def test_an_exception_goes_in_stack_trace():
    try:
        raise ValueError("bad value")
    except ValueError:
        line = format_record(logging.ERROR, "failed", with_exception=True)
    assert line["stack_trace"].startswith("Traceback (most recent call last):")
    assert "ValueError: bad value" in line["stack_trace"]


def test_rfc3339():
    assert rfc3339(0) == "1970-01-01T00:00:00.000Z"
    assert rfc3339(1795484805.758) == "2026-11-24T01:46:45.758Z"
