"""The HTTP API: the platform's standard endpoints, metrics and request logs."""
import json
import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException

from app import BOOT_MONOTONIC, BOOT_TIME, checks, metrics
from app.logs import rfc3339

log = logging.getLogger(__name__)
access_log = logging.getLogger("app.access")

router = APIRouter()

CallNext = Callable[[Request], Awaitable[Response]]


@router.get("/health")
async def health() -> dict:
    return {"status": "ok"}


@router.get("/hello")
async def hello() -> dict:
    return {"message": "Hello, World!"}


@router.get("/hello/{name}")
async def hello_name(name: str) -> dict:
    return {"message": f"Hello, {name}!"}


@router.post("/echo")
async def echo(request: Request) -> Response:
    """The JSON body, byte for byte as it was sent."""
    body = await request.body()
    try:
        json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        return JSONResponse({"error": "the body is not valid JSON"}, status_code=400)
    return Response(body, media_type="application/json")


@router.get("/ready")
async def ready() -> JSONResponse:
    states = await checks.run_all()
    is_ready = all(state == "up" for state in states.values())
    return JSONResponse(
        {"status": "ready" if is_ready else "not ready", "checks": states},
        status_code=200 if is_ready else 503,
    )


@router.get("/live")
async def live() -> dict:
    return {"status": "alive"}


@router.get("/startup")
async def startup(request: Request) -> dict:
    return request.app.state.startup


@router.get("{{METRICS_PATH}}", include_in_schema=False)
async def prometheus_metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def instrument(request: Request, call_next: CallNext) -> Response:
    """Count, time and log every request.

    An exception that escapes a handler is answered here with a 500, so that
    it is counted and logged once, with its stack trace, like any request.
    """
    start = time.perf_counter()
    try:
        response = await call_next(request)
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.url.path)
        response = JSONResponse({"error": "internal server error"}, status_code=500)
    seconds = time.perf_counter() - start
    metrics.observe(request.method, metrics.route_pattern(request), response.status_code, seconds)
    access_log.info(
        "%s %s %d",
        request.method,
        request.url.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.url.path,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 3),
        },
    )
    return response


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """Errors such as 404 and 405 in the same {"error": ...} shape as /echo's."""
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def create_app() -> FastAPI:
    app = FastAPI(title="{{PROJECT_NAME}}")
    app.include_router(router)
    app.middleware("http")(instrument)
    app.add_exception_handler(HTTPException, http_error)

    def started() -> None:
        startup_ms = round((time.monotonic() - BOOT_MONOTONIC) * 1000)
        app.state.startup = {"started_at": rfc3339(BOOT_TIME), "startup_ms": startup_ms}
        log.info("started in %d ms", startup_ms)

    app.add_event_handler("startup", started)
    return app


app = create_app()
