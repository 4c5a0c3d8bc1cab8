"""Pooled connections: one back from a recent request is handed out as it is, a dead one never."""

import os
import select

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper
from psycopg_pool import ConnectionPool

from phoneref.core import pool as pool_module
from phoneref.core.pool import connection_check, use_connection_check
from phoneref.core.testing import run_django_script

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


def used(conn: psycopg.Connection) -> psycopg.Connection:
    """`conn` as a request leaves it: checked out, answered in full, back in the pool."""
    connection_check(conn)
    conn.execute("SELECT 1").fetchone()
    return conn


def last_query(conn: psycopg.Connection, seen_from: psycopg.Connection) -> str:
    """What the server last ran for `conn`: an empty string after a round-trip check."""
    [(query,)] = seen_from.execute(
        "SELECT query FROM pg_stat_activity WHERE pid = %s", [conn.info.backend_pid]
    ).fetchall()
    return query


def terminate(conn: psycopg.Connection, using: psycopg.Connection) -> None:
    """Ends `conn` from the server's side, as a restart would, and waits until it shows."""
    using.execute("SELECT pg_terminate_backend(%s)", [conn.info.backend_pid])
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    assert poller.poll(10_000), "the server did not end the connection"


def test_a_connection_back_from_a_recent_request_passes_without_a_round_trip(connect):
    conn, observer = used(connect()), connect()
    connection_check(conn)
    assert last_query(conn, seen_from=observer) == "SELECT 1"


def test_a_connection_never_handed_out_gets_a_round_trip(connect):
    conn, observer = connect(), connect()
    conn.execute("SELECT 1")
    connection_check(conn)
    assert last_query(conn, seen_from=observer) == ""


def test_a_connection_idle_for_a_while_gets_a_round_trip(connect, monkeypatch):
    # A NAT or load balancer that dropped the flow says nothing until the next packet.
    conn, observer = used(connect()), connect()
    monkeypatch.setattr(pool_module, "ROUND_TRIP_AFTER_IDLE_SECONDS", 0.0)
    connection_check(conn)
    assert last_query(conn, seen_from=observer) == ""


def test_a_connection_the_server_ended_fails_the_check(connect):
    conn, other = used(connect()), connect()
    terminate(conn, using=other)
    with pytest.raises(psycopg.OperationalError):
        connection_check(conn)


def test_the_check_works_on_descriptors_past_select_s_limit(connect):
    # A server process in a burst has over a thousand sockets open.
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        conn, other = used(connect()), connect()
        assert conn.fileno() > 1024
        connection_check(conn)
        assert last_query(conn, seen_from=other) == "SELECT 1"
        terminate(conn, using=other)
        with pytest.raises(psycopg.OperationalError):
            connection_check(conn)
    finally:
        for fd in held:
            os.close(fd)


def test_a_closed_connection_fails_the_check(connect):
    conn = used(connect())
    conn.close()
    with pytest.raises(psycopg.OperationalError):
        connection_check(conn)


def backend_pid(pool: ConnectionPool) -> int:
    with pool.connection() as conn:
        [(pid,)] = conn.execute("SELECT pg_backend_pid()").fetchall()
        return pid


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
            # Out again straight away: no round trip came before this request's query.
            assert last_query(conn, seen_from=connect()) == "SELECT pg_backend_pid()"
            pass
        terminate(conn, using=connect())
        # The check throws the dead one away; the request waits for the pool's new one.
        assert backend_pid(pool) != first
    finally:
        pool.close()


def test_the_pool_django_builds_gets_the_check_at_its_first_connection():
    pooled = {
        **connection.settings_dict,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {**connection.settings_dict["OPTIONS"], "pool": {"min_size": 1}},
    }
    wrapper = DatabaseWrapper(pooled, alias="pool_check_test")
    try:
        wrapper.ensure_connection()
        # django-stubs 5.2 lacks the postgresql wrapper's pool and close_pool().
        assert wrapper.pool._check is connection_check  # type: ignore[attr-defined]
    finally:
        wrapper.close()
        wrapper.close_pool()  # type: ignore[attr-defined]


def test_a_pool_with_another_check_keeps_it():
    def check(conn):
        pass

    without_check = ConnectionPool(check=None, open=False)
    with_own_check = ConnectionPool(check=check, open=False)
    for pool in (without_check, with_own_check, None):
        use_connection_check(pool)
    assert without_check._check is None
    assert with_own_check._check is check


def test_the_test_database_is_the_one_used_with_the_pool_on(connect):
    # With the pool built while the app loads, the test runner's switch to the test database
    # came too late: the tests ran against the real one.
    probe = """
import django
django.setup()
from django.db import connection
connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
with connection.cursor() as cursor:
    cursor.execute("SELECT current_database()")
    print(cursor.fetchone()[0])
"""
    database_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/pool_probe"
    try:
        result = run_django_script(
            probe,
            {
                "DATABASE_URL": database_url,
                "DATABASE_POOL": "1",
                "DJANGO_SETTINGS_MODULE": "config.settings_test",
            },
        )
    finally:
        connect().execute("DROP DATABASE IF EXISTS test_pool_probe WITH (FORCE)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "test_pool_probe"
