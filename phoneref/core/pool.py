"""How a pooled PostgreSQL connection is checked before a request gets it.

psycopg_pool's check sends an empty query on every checkout: a round trip per request, a
share of what a request costs that docs/benchmarks.md measures.
Under load a connection goes back to the pool and out again within milliseconds, and in that
time the only way it breaks is the server ending it (a restart, a terminated backend, an idle
timeout), which the server announces: an error message, then end of file. So a connection
handed out moments ago, with nothing to read on its socket, is handed out again as it is. One
unused for longer, or never handed out before, gets the round trip: a NAT or load balancer
that forgot an idle flow says nothing until the next packet, and then only with a reset.
"""

import select
import time
from weakref import WeakKeyDictionary

from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import Connection, OperationalError
from psycopg_pool import ConnectionPool

# Far below the idle timeouts of NATs and load balancers (minutes), far above the time from
# one request's checkout to the next under load (milliseconds).
ROUND_TRIP_AFTER_IDLE_SECONDS = 5.0

# When each connection was last handed out. Noted here, in the check, rather than when the
# connection comes back: psycopg_pool hands every return to a worker thread once it has a
# reset callback, which costs more than the round trip saves (docs/benchmarks.md).
_handed_out_at: WeakKeyDictionary[Connection, float] = WeakKeyDictionary()


def connection_check(conn: Connection) -> None:
    """Raises if `conn` is broken; a healthy one handed out moments ago costs no round trip."""
    if conn.closed:
        raise OperationalError("the connection is closed")
    now = time.monotonic()
    handed_out_at = _handed_out_at.get(conn)
    if (
        handed_out_at is None
        or now - handed_out_at > ROUND_TRIP_AFTER_IDLE_SECONDS
        or _has_something_to_read(conn)
    ):
        ConnectionPool.check_connection(conn)
    _handed_out_at[conn] = now


def _has_something_to_read(conn: Connection) -> bool:
    # poll, not select: a burst holds a thousand client sockets, and select() refuses
    # descriptors past 1023.
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    return bool(poller.poll(0))


def use_connection_check(pool: ConnectionPool | None) -> None:
    """Has `pool` check connections with connection_check instead of a round trip each.

    Django builds the pool, giving it psycopg_pool's round-trip check when CONN_HEALTH_CHECKS
    is on, and has no setting for another check, so it is swapped here. A pool with any other
    check, a psycopg_pool that keeps its check elsewhere (a test notices), or a system without
    poll() keeps checking with a round trip.
    """
    if (
        pool is None
        or getattr(pool, "_check", None) is not ConnectionPool.check_connection
        or not hasattr(select, "poll")
    ):
        return
    pool._check = connection_check


def on_connection_created(sender, connection: BaseDatabaseWrapper, **kwargs) -> None:
    """Installs the check on the pool Django has just built (on the first connection made):
    building it earlier would fix its settings before the test runner switches to the test
    database."""
    use_connection_check(getattr(connection, "pool", None))
