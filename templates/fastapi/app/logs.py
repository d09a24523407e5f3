"""JSON logs: one object per line on stdout, with the fields the platform reads."""
import json
import logging
import sys
from datetime import datetime, timezone

# Request fields a record carries through `extra=`, copied into its line.
REQUEST_FIELDS = ("method", "path", "status", "duration_ms")

# The platform knows INFO, WARN and ERROR; Python says WARNING and CRITICAL.
LEVELS = {"WARNING": "WARN", "CRITICAL": "ERROR"}


def rfc3339(epoch_seconds: float) -> str:
    """UTC, with milliseconds: 2026-11-24T01:46:45.758Z."""
    moment = datetime.fromtimestamp(epoch_seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "@timestamp": rfc3339(record.created),
            "level": LEVELS.get(record.levelname, record.levelname),
            "message": record.getMessage(),
            "logger_name": record.name,
        }
        for field in REQUEST_FIELDS:
            if hasattr(record, field):
                line[field] = getattr(record, field)
        if record.exc_info:
            line["stack_trace"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["stack_trace"] = self.formatStack(record.stack_info)
        return json.dumps(line, separators=(",", ":"), default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """Send every logger, uvicorn's included, to stdout as JSON lines."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
{{#if kafka}}
    # kafka-python logs each connection attempt at INFO, a handful of lines
    # for every readiness probe; its warnings and errors are enough.
    logging.getLogger("kafka").setLevel(logging.WARNING)
{{/if}}
