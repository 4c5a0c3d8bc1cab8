"""gunicorn hooks for `scripts/start` (everything else is on its command line)."""

from prometheus_client import multiprocess


def child_exit(server, worker) -> None:
    # The metrics' live gauges (workers up, pool usage) stop counting a worker that is gone.
    multiprocess.mark_process_dead(worker.pid)
