"""`scripts/with-postgres` with a kept data directory, as `make run` uses it: the data outlives
each run, the server stops with the run, and a run that was killed, whatever it left behind,
does not block the next one."""

import os
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

WITH_POSTGRES = str(Path(__file__).resolve().parent.parent / "scripts" / "with-postgres")


def newcomer_env(kept: Path) -> dict[str, str]:
    """`make run`'s environment on a machine with no DATABASE_URL."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    return {**env, "POSTGRES_DATA_DIR": str(kept)}


def psql(kept: Path, sql: str) -> str:
    """The output of `sql`, run on the kept server of `kept` by a run of its own."""
    done = subprocess.run(
        [
            WITH_POSTGRES,
            "sh",
            "-c",
            '"$PG_BIN/psql" -X -q -t -A -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "$0"',
            sql,
        ],
        env=newcomer_env(kept),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def kept() -> Iterator[Path]:
    # Not under pytest's own temp dir: a pytest starting meanwhile (as root) takes back the
    # o+x that the server's user needs on the way in.
    with tempfile.TemporaryDirectory(prefix="phoneref-kept.") as parent:
        kept = Path(parent) / "postgres"
        psql(kept, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('first run')")
        yield kept


def pid_file(kept: Path) -> Path:
    return kept / "data" / "postmaster.pid"


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie, dead but not yet reaped, is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in {"Z", "X"}


def test_the_data_outlives_the_run_and_the_server_stops_with_it(kept):
    assert not pid_file(kept).exists()
    assert psql(kept, "SELECT note FROM kept") == "first run"


def test_a_server_that_died_mid_run_does_not_block_the_next_run(kept):
    crash = 'kill -KILL "$(head -n 1 "$PGDATA_DIR/postmaster.pid")"; sleep 1'
    died = subprocess.run(
        [WITH_POSTGRES, "sh", "-c", crash], env=newcomer_env(kept), timeout=120, check=False
    )
    assert died.returncode == 0
    assert pid_file(kept).exists()
    assert psql(kept, "SELECT note FROM kept") == "first run"


def test_a_server_left_running_by_a_killed_run_is_stopped_and_replaced(kept):
    run = subprocess.Popen(
        [WITH_POSTGRES, "sleep", "60"],
        env=newcomer_env(kept),
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    # Its "PostgreSQL on ..." line comes once the server is up; then the run dies outright,
    # the server (in a session of its own, as pg_ctl starts it) left running.
    assert "PostgreSQL" in run.stderr.readline()
    left_running = int(pid_file(kept).read_text().split()[0])
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=10)
    run.stderr.close()
    assert running(left_running)

    assert psql(kept, "SELECT note FROM kept") == "first run"
    assert not running(left_running)


def test_a_postmaster_pid_naming_another_process_does_not_block_the_start(kept):
    # After a reboot, the pid of a server that died with the machine may be any process's.
    pid_file(kept).write_text(f"{os.getpid()}\n")
    assert psql(kept, "SELECT note FROM kept") == "first run"
