"""`make bench`: the production profile under load, on this machine, against its own database.

Seeds the data, starts `scripts/start` on a free loopback port, runs six measurements with
bench.loadgen, prints a Markdown table with the machine it ran on and writes it to the file
`--report` names; `--write-docs` also puts it into docs/benchmarks.md. The server's log is
kept only at `--server-log`. Needs DATABASE_URL of a throwaway PostgreSQL (`make bench`
provides one and the options).
"""

import argparse
import asyncio
import datetime
import json
import os
import platform
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import django
import uvloop
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench.loadgen import Request, Result, burst, closed_loop, sources_used

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "benchmarks.md"
HOST = "127.0.0.1"
# Seconds of each closed-loop run; the whole bench takes about two minutes plus seeding.
RUN_SECONDS = 5.0
BURST_SIZE = 1000
CONNECTIONS = 50
SERVER_START_TIMEOUT = 90


@dataclass
class Row:
    metric: str
    value: str
    target: str
    passed: bool


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _server_env(port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        DEMO_MODE="0",
        SECRET_KEY=env["SECRET_KEY"],
        ALLOWED_HOSTS=HOST,
        HOST=HOST,
        PORT=str(port),
        # Plain HTTP on the loopback: there is no TLS proxy in front here.
        SECURE_SSL_REDIRECT="0",
    )
    return env


def _start_server(port: int, log_path: Path) -> subprocess.Popen:
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(ROOT / "scripts" / "start")],
            cwd=ROOT,
            env=_server_env(port),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"bench: the server exited; its last lines:\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/readyz", timeout=2):
                return server
        except OSError:
            time.sleep(0.2)
    _stop_server(server)
    raise SystemExit(f"bench: the server did not become ready; its last lines:\n{_tail(log_path)}")


def _tail(log_path: Path, lines: int = 40) -> str:
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])


def _stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _process_group(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                pids.append(int(entry.name))
    return pids


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _phones(count: int) -> list[str]:
    # Fresh numbers each run, so no resend cooldown from an earlier burst applies.
    start = random.randrange(1_000_000, 8_000_000)
    return [f"+7999{start + i:07d}" for i in range(count)]


def _code_requests(phones: list[str]) -> list[Request]:
    return [
        Request(
            "POST",
            "/api/v1/auth/request-code/",
            {"Content-Type": "application/json"},
            json.dumps({"phone": phone}).encode(),
        )
        for phone in phones
    ]


def _get(path: str, token: str | None = None) -> Request:
    return Request("GET", path, {"Authorization": f"Bearer {token}"} if token else {})


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _statuses(result: Result) -> str:
    answered = ", ".join(f"{n}x{status}" for status, n in sorted(result.statuses.items()))
    failed = ", ".join(f"{n}x{name}" for name, n in sorted(result.errors.items()))
    return "; ".join(part for part in (answered, failed) if part)


async def _alternating(
    target: dict, first: list[Request], second: list[Request]
) -> tuple[Result, Result]:
    """Two closed loops measured in alternating one-second windows, RUN_SECONDS each.

    Other work on a shared machine comes and goes within seconds; alternating gives both
    loads the same share of it, so their ratio does not depend on which ran first.
    """
    windows: tuple[list[Result], list[Result]] = ([], [])
    for _ in range(int(RUN_SECONDS)):
        for requests, results in zip((first, second), windows, strict=True):
            results.append(
                await closed_loop(
                    **target, requests=requests, connections=CONNECTIONS, duration=1.0
                )
            )
    return Result.merged(windows[0]), Result.merged(windows[1])


async def _measure(port: int, seeded) -> list[Row]:
    # bench.seed reads the models: importable only once main() has set Django up.
    from bench.seed import ACTIVATORS, referral_counts  # noqa: PLC0415

    rows: list[Row] = []
    target = {"host": HOST, "port": port}
    profile = [_get("/api/v1/profile/", seeded.small_token)]

    await closed_loop(**target, requests=[*profile, _get("/readyz")], connections=10, duration=2)

    readyz, solo = await _alternating(target, [_get("/readyz")], profile)

    crowd, _ = await burst(**target, requests=_code_requests(_phones(BURST_SIZE)))
    all_ok = crowd.statuses.get(200, 0) == BURST_SIZE
    rows.append(
        Row(
            f"1. Burst: {BURST_SIZE} concurrent request-code, all 200",
            _statuses(crowd),
            f"{BURST_SIZE}x200",
            all_ok,
        )
    )
    p99 = crowd.percentile(99)
    rows.append(Row("1. Burst: p99 latency", _ms(p99), "≤ 2500 ms", p99 <= 2.5))
    rows.append(Row("1. Burst: wall time", f"{crowd.wall:.2f} s", "≤ 3.00 s", crowd.wall <= 3.0))

    ratio = solo.rps / readyz.rps
    rows.append(
        Row(
            f"2. Profile: req/s at {CONNECTIONS} connections (vs /readyz)",
            f"{solo.rps:.0f} vs {readyz.rps:.0f} = {ratio:.2f}x",
            "≥ 0.50x",
            ratio >= 0.5 and not solo.errors and set(solo.statuses) == {200},
        )
    )
    p99 = solo.percentile(99)
    rows.append(Row("2. Profile: p99 latency", _ms(p99), "≤ 150 ms", p99 <= 0.15))

    # Isolation: the profile under the same load while a burst is in flight.
    loop_task = asyncio.create_task(
        closed_loop(**target, requests=profile, connections=CONNECTIONS, duration=RUN_SECONDS)
    )
    await asyncio.sleep(1.0)
    crowd2, _ = await burst(**target, requests=_code_requests(_phones(BURST_SIZE)))
    during = await loop_task
    share = during.rps_between(crowd2.started, crowd2.finished) / solo.rps
    rows.append(
        Row(
            "3. Isolation: profile req/s during a burst (vs solo)",
            f"{during.rps_between(crowd2.started, crowd2.finished):.0f} = {share:.0%}"
            f" (burst: {_statuses(crowd2)}, {crowd2.wall:.2f} s)",
            "≥ 50%",
            share >= 0.5 and crowd2.statuses.get(200, 0) == BURST_SIZE,
        )
    )

    # Scale: the same reads for a user with a million referrals and one with ten.
    scale = {}
    for name, token in (("big", seeded.big_token), ("small", seeded.small_token)):
        for what, path in (("profile", "/api/v1/profile/"), ("page", "/api/v1/profile/referrals/")):
            result = await closed_loop(
                **target, requests=[_get(path, token)], connections=10, duration=3
            )
            scale[name, what] = result
    for what, label in (("profile", "profile"), ("page", "first referrals page")):
        big, small = scale["big", what].percentile(50), scale["small", what].percentile(50)
        rows.append(
            Row(
                f"4. Scale: {label} p50, 1,000,000 vs 10 referrals",
                f"{_ms(big)} vs {_ms(small)} = {big / small:.2f}x",
                "≤ 1.50x",
                big / small <= 1.5 and set(scale["big", what].statuses) == {200},
            )
        )

    # Contention: everyone activates the same code at once.
    activations, _ = await burst(
        **target,
        requests=[
            Request(
                "POST",
                "/api/v1/profile/activate-invite/",
                {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
                json.dumps({"invite_code": seeded.hub_code}).encode(),
            )
            for token in seeded.activator_tokens
        ],
    )
    counted, rows_referring = await asyncio.to_thread(referral_counts, seeded.hub_id)
    rows.append(
        Row(
            f"5. Contention: {ACTIVATORS} users activate one code at once",
            f"{_statuses(activations)}; count {counted}, rows {rows_referring};"
            f" {activations.wall:.2f} s",
            f"{ACTIVATORS}x200, count exact, ≤ 2.00 s",
            activations.statuses.get(200, 0) == ACTIVATORS
            and counted == rows_referring == ACTIVATORS
            and activations.wall <= 2.0,
        )
    )
    return rows


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _machine_line(pg_version: str, load_before: str) -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    return (
        f"{os.cpu_count()} cores ({model}); load average {load_before} before the run,"
        f" {_load()} after it (the run itself keeps about two cores busy); Python"
        f" {platform.python_version()}, {pg_version}; load generator on the same machine"
    )


def _limits_line() -> str:
    """The send limits the server ran with (the same environment as this process)."""

    def per(limit: int, window: str) -> str:
        return f"{limit} per {window}" if limit > 0 else f"none per {window} (off)"

    return (
        f"per phone a {settings.OTP_RESEND_COOLDOWN_SECONDS} s cooldown,"
        f" {per(settings.OTP_SENDS_PER_HOUR, 'hour')}, {per(settings.OTP_SENDS_PER_DAY, 'day')};"
        f" per client network {per(settings.OTP_IP_SENDS_PER_HOUR, 'hour')}"
        f" (IPv6 /{settings.CLIENT_IPV6_PREFIX_LENGTH}); the load came from"
        f" {sources_used():,} loopback source addresses, one per connection"
    )


def _table(rows: list[Row]) -> str:
    lines = ["| metric | value | target | result |", "|---|---|---|---|"]
    lines += [
        f"| {r.metric} | {r.value} | {r.target} | {'pass' if r.passed else 'FAIL'} |" for r in rows
    ]
    return "\n".join(lines)


def _write_report(text: str) -> None:
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    current = REPORT.read_text() if REPORT.exists() else f"# Benchmarks\n\n{start}\n{end}\n"
    head, rest = current.split(start, 1)
    tail = rest.split(end, 1)[1]
    REPORT.write_text(f"{head}{start}\n{text}\n{end}{tail}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--report", type=Path, required=True, help="where to write the table")
    parser.add_argument(
        "--write-docs", action="store_true", help=f"also put it into {REPORT.relative_to(ROOT)}"
    )
    parser.add_argument("--server-log", type=Path, help="keep the server's output in this file")
    return parser.parse_args()


def main() -> int:
    args = _arguments()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("bench: needs DATABASE_URL of a throwaway PostgreSQL (run `make bench`)")
        return 2
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "0"
    django.setup()
    # bench.seed reads the models and the server module the settings, at import: neither
    # can be imported before Django is set up just above.
    from bench.seed import seed  # noqa: PLC0415
    from phoneref.server.app import gc_freeze_loaded  # noqa: PLC0415

    load_before = _load()
    call_command("migrate_exclusive", verbosity=0)
    started = time.monotonic()
    print("bench: seeding 1,000,000 referrals ...", flush=True)
    seeded = seed()
    print(f"bench: seeded in {time.monotonic() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = f"PostgreSQL {cursor.fetchone()[0]}"
    connection.close()

    port = _free_port()
    # The server logs every request, megabytes a run: kept only when asked for.
    if args.server_log is None:
        fd, name = tempfile.mkstemp(prefix="phoneref-bench.", suffix=".log")
        os.close(fd)
        log_path = Path(name)
    else:
        log_path = args.server_log
        log_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = _start_server(port, log_path)
        # The load generator shares the cores with the server it measures: like the server,
        # it keeps the garbage collector off what it has loaded.
        gc_freeze_loaded()
        try:
            rows = uvloop.run(asyncio.wait_for(_measure(port, seeded), timeout=600))
            pids = _process_group(server.pid)
            peaks = {pid: _peak_rss_mb(pid) for pid in pids}
        finally:
            _stop_server(server)
    finally:
        if args.server_log is None:
            log_path.unlink()
    rows.append(
        Row(
            "6. Memory: peak RSS per server process",
            ", ".join(f"{mb:.0f} MB" for mb in sorted(peaks.values(), reverse=True)),
            "≤ 150 MB each",
            bool(peaks) and max(peaks.values()) <= 150,
        )
    )
    machine = _machine_line(pg_version, load_before)
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (
        f"Last run: {date}. Machine: {machine}.\n\nLimits on: {_limits_line()}.\n\n{_table(rows)}"
    )
    _publish(text, args)
    return 0 if all(r.passed for r in rows) else 1


def _publish(text: str, args: argparse.Namespace) -> None:
    """The table on the terminal and in the report file; in the docs only when asked."""
    print(f"\n{text}\n")
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(text + "\n")
    print(f"bench: the table is in {args.report}")
    if args.write_docs:
        _write_report(text)
        print(f"bench: and in {REPORT.relative_to(ROOT)}")
    if args.server_log is not None:
        print(f"bench: the server's log is in {args.server_log}")


if __name__ == "__main__":
    sys.exit(main())
