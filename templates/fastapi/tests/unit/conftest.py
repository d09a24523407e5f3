import pytest
from fastapi.testclient import TestClient

from app.main import create_app


@pytest.fixture
def app():
    return create_app()


@pytest.fixture
def client(app):
    # As a context manager, TestClient runs the startup handlers too.
    with TestClient(app) as client:
        yield client
