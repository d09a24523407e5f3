"""Request metrics, in Prometheus' default registry."""
from prometheus_client import Counter, Histogram
from starlette.requests import Request
from starlette.routing import Match

REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by method, route and status.",
    ["method", "path", "status"],
)
DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route.",
    ["method", "path"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# The path label of requests that match no route: one series for all of
# them, however many different paths clients try.
UNMATCHED = "other"


def route_pattern(request: Request) -> str:
    """The pattern of the route a request went to, such as /hello/{name}.

    Labelling by pattern rather than by raw path keeps one series per route.
    A route that matches the path but not the method (a 405) still names it.
    """
    for route in request.app.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            return route.path
    return UNMATCHED


def observe(method: str, path: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, path, str(status)).inc()
    DURATION.labels(method, path).observe(seconds)
