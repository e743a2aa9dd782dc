"""A fresh PostgreSQL database per test (the RabbitMQ node, ``rabbit``, is a broker: tests/conftest.py)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def _database() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"crampwatch_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432 (user postgres): {str(exc).strip().splitlines()[0]}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A database created for the test and dropped after it (local server, trust auth)."""
    with _database() as url:
        yield url


@pytest.fixture
def pg_url2() -> Iterator[str]:
    """A second database of the test's own (e.g. for a reference run)."""
    with _database() as url:
        yield url


@pytest.fixture
def prefix() -> str:
    """A topic prefix (and so a topology) of the test's own on the shared node."""
    return f"cw{uuid.uuid4().hex[:8]}/v1"
