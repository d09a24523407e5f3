"""Readiness checks: one per dependency the service was generated with.

A check is a blocking function that returns when its dependency answers and
raises when it does not. Each opens a connection of its own, so nothing goes
stale between probes. run_all() runs them side by side in worker threads and
calls a dependency down when its check fails or outlasts DEADLINE_S, so that
/ready answers in time even when a dependency stalls.
"""
import asyncio
import logging
from collections.abc import Callable
{{#if postgres}}
from contextlib import closing
{{/if}}
{{#if database,kafka}}

{{/if}}
{{#if postgres}}
import psycopg2
{{/if}}
{{#if redis}}
import redis
{{/if}}
{{#if kafka}}
from kafka import KafkaAdminClient
{{/if}}
{{#if database,kafka}}

from app.config import settings
{{/if}}

log = logging.getLogger(__name__)

Check = Callable[[], None]

# Seconds a check may take before its dependency is called down.
DEADLINE_S = 3
{{#if database,kafka}}
# The clients' own timeouts, shorter, so that a refused or silent dependency
# is reported with their reason (libpq's least connect_timeout is 2).
CLIENT_TIMEOUT_S = 2
{{/if}}
{{#if postgres}}


def check_postgres() -> None:
    """Connect and run SELECT 1."""
    with closing(psycopg2.connect(settings.database_url, connect_timeout=CLIENT_TIMEOUT_S)) as conn:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
{{/if}}
{{#if redis}}


def check_redis() -> None:
    """Connect and PING."""
    with redis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=CLIENT_TIMEOUT_S,
        socket_timeout=CLIENT_TIMEOUT_S,
    ) as client:
        client.ping()
{{/if}}
{{#if kafka}}


def check_kafka() -> None:
    """Connect to a bootstrap server and agree on the protocol version.

    KafkaAdminClient does both as it is made, and raises NoBrokersAvailable
    when no bootstrap server answers.
    """
    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        client_id="{{PROJECT_NAME}}-ready",
        request_timeout_ms=CLIENT_TIMEOUT_S * 1000,
        api_version_auto_timeout_ms=CLIENT_TIMEOUT_S * 1000,
    )
    admin.close()
{{/if}}


{{#if database,kafka}}
CHECKS: dict[str, Check] = {
{{#if postgres}}
    "postgres": check_postgres,
{{/if}}
{{#if redis}}
    "redis": check_redis,
{{/if}}
{{#if kafka}}
    "kafka": check_kafka,
{{/if}}
}
{{else}}
# Generated with no dependency: nothing to wait for, always ready.
CHECKS: dict[str, Check] = {}
{{/if}}


async def state(name: str, check: Check) -> str:
    """The state of one dependency, "up" or "down"; why down goes to the log."""
    try:
        # The worker thread of a check that outlasts the deadline runs on
        # until its client gives up; the answer does not wait for it.
        await asyncio.wait_for(asyncio.to_thread(check), DEADLINE_S)
    except asyncio.TimeoutError:
        log.warning("readiness check %s: no answer within %s s", name, DEADLINE_S)
    except Exception as error:
        log.warning("readiness check %s failed: %s", name, error)
    else:
        return "up"
    return "down"


async def run_all() -> dict[str, str]:
    """Run every check at once: its state, by name."""
    states = await asyncio.gather(*(state(name, check) for name, check in CHECKS.items()))
    return dict(zip(CHECKS, states))
