"""{{PROJECT_NAME}}: an HTTP service on FastAPI."""
import time

# Taken first, before FastAPI and the clients are imported, so that the
# startup_ms of /startup covers the whole boot.
BOOT_TIME = time.time()
BOOT_MONOTONIC = time.monotonic()
