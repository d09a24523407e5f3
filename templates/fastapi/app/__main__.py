"""Run the service: python -m app."""
import uvicorn

from app.config import settings
from app.logs import configure_logging


def main() -> None:
    configure_logging()
    # log_config=None leaves uvicorn's own loggers on the JSON handler set up
    # above; its access log is off because the app logs each request itself,
    # with the fields the platform reads.
    uvicorn.run(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
