"""Pooled connections: a healthy one is handed out unchecked, a dead one never."""

import os
import select
from unittest import mock

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper
from psycopg_pool import ConnectionPool

from phoneref.core.pool import connection_check, use_connection_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def connect():
    opened = []

    def connect() -> psycopg.Connection:
        conn = psycopg.connect(**connection.get_connection_params(), autocommit=True)
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()


def terminate(conn: psycopg.Connection, using: psycopg.Connection) -> None:
    """Ends `conn` from the server's side, as a restart would, and waits until it shows."""
    using.execute("SELECT pg_terminate_backend(%s)", [conn.info.backend_pid])
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    assert poller.poll(10_000), "the server did not end the connection"


def backend_pid(pool: ConnectionPool) -> int:
    with pool.connection() as conn:
        return conn.execute("SELECT pg_backend_pid()").fetchone()[0]


def test_a_healthy_idle_connection_passes_without_a_round_trip(connect):
    conn = connect()
    conn.execute("SELECT 1").fetchone()
    with mock.patch.object(ConnectionPool, "check_connection") as round_trip:
        connection_check(conn)
    round_trip.assert_not_called()


def test_the_check_works_on_descriptors_past_select_s_limit(connect):
    # A server process in a burst has over a thousand sockets open.
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        conn, other = connect(), connect()
        assert conn.fileno() > 1024
        connection_check(conn)
        terminate(conn, using=other)
        with pytest.raises(psycopg.OperationalError):
            connection_check(conn)
    finally:
        for fd in held:
            os.close(fd)


def test_a_connection_the_server_ended_fails_the_check(connect):
    conn, other = connect(), connect()
    terminate(conn, using=other)
    with pytest.raises(psycopg.OperationalError):
        connection_check(conn)


def test_a_closed_connection_fails_the_check(connect):
    conn = connect()
    conn.close()
    with pytest.raises(psycopg.OperationalError):
        connection_check(conn)


def test_the_pool_replaces_a_connection_ended_while_idle(connect):
    pool = ConnectionPool(
        kwargs={**connection.get_connection_params(), "autocommit": True},
        min_size=1,
        max_size=1,
        check=ConnectionPool.check_connection,
        open=False,
    )
    use_connection_check(pool)
    pool.open(wait=True)
    try:
        first = backend_pid(pool)
        with pool.connection() as conn:
            pass
        terminate(conn, using=connect())
        # The check throws the dead one away; the request waits for the pool's new one.
        assert backend_pid(pool) != first
    finally:
        pool.close()


def test_the_pool_django_builds_gets_the_light_check():
    settings = {
        **connection.settings_dict,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {**connection.settings_dict["OPTIONS"], "pool": {"min_size": 1}},
    }
    wrapper = DatabaseWrapper(settings, alias="pool_check_test")
    try:
        use_connection_check(wrapper.pool)
        assert wrapper.pool._check is connection_check
    finally:
        wrapper.close_pool()


def test_the_light_check_replaces_only_the_round_trip_check():
    with_round_trip = ConnectionPool(check=ConnectionPool.check_connection, open=False)
    without_check = ConnectionPool(check=None, open=False)
    use_connection_check(with_round_trip)
    use_connection_check(without_check)
    use_connection_check(None)
    assert with_round_trip._check is connection_check
    assert without_check._check is None
