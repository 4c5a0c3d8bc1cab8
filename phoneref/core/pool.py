"""How a pooled PostgreSQL connection is checked before a request gets it."""

import select

from psycopg import Connection, OperationalError
from psycopg_pool import ConnectionPool


def connection_check(conn: Connection) -> None:
    """Raises if `conn` is broken; a healthy one costs no round trip to the server.

    An idle connection in the pool has nothing to read: every answer was read in full before
    it came back. The server writes to one only to end it (a restart, a terminated backend,
    an idle timeout: an error message, then end of file), so a readable socket is the sign to
    look closer, with psycopg_pool's own check: a round trip that raises on a dead connection.
    That round trip on every checkout cost each code request about a tenth of its CPU, the
    server's and PostgreSQL's together (docs/benchmarks.md).
    """
    if conn.closed:
        raise OperationalError("the connection is closed")
    # poll, not select: a burst holds a thousand client sockets, and select() refuses
    # descriptors past 1023.
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    if poller.poll(0):
        ConnectionPool.check_connection(conn)


def use_connection_check(pool: ConnectionPool | None) -> None:
    """Has `pool` check connections with connection_check instead of a round trip each.

    Django builds the pool and gives it psycopg_pool's round-trip check when
    CONN_HEALTH_CHECKS is on; there is no setting for another one, so it is swapped here. A
    psycopg_pool that keeps its check elsewhere is left as it is, still checking (a test
    notices).
    """
    if pool is not None and getattr(pool, "_check", None) is ConnectionPool.check_connection:
        pool._check = connection_check
