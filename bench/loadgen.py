"""A small HTTP/1.1 load generator on asyncio, for the benchmark only.

Two shapes of load: `closed_loop` keeps N keep-alive connections busy for a fixed time
(throughput and latency), `burst` opens one connection per request and fires them all at
once (a crowd arriving together). It speaks just enough HTTP/1.1 for our own server:
Content-Length or chunked bodies, keep-alive. Every run is bounded by a deadline.

Each connection comes from a loopback source address of its own (127.0.0.0/8 is all
loopback), as a crowd comes from many clients: the server's per-IP cap then counts them
apart, as it would in production, instead of refusing all but the first few.
"""

import asyncio
import contextlib
import ipaddress
import math
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.body or self.method in {"POST", "PUT", "PATCH"}:
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass
class Result:
    """What one run saw: a latency and a completion time per answered request."""

    started: float
    finished: float = 0.0
    latencies: list[float] = field(default_factory=list)
    completed_at: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)

    @property
    def wall(self) -> float:
        return self.finished - self.started

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.wall if self.wall > 0 else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the latencies, in seconds."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1]

    def rps_between(self, start: float, end: float) -> float:
        """Answers per second completed within [start, end] (a window of another run)."""
        done = sum(1 for t in self.completed_at if start <= t <= end)
        return done / (end - start) if end > start else 0.0

    @classmethod
    def merged(cls, runs: list["Result"]) -> "Result":
        """Runs made one after another, as one: their answers over their summed time."""
        whole = cls(started=0.0, finished=sum(run.wall for run in runs))
        for run in runs:
            whole.latencies += run.latencies
            whole.statuses.update(run.statuses)
            whole.errors.update(run.errors)
        return whole

    def record(self, status: int, started: float) -> None:
        now = time.perf_counter()
        self.latencies.append(now - started)
        self.completed_at.append(now)
        self.statuses[status] += 1


class _Sources:
    """Loopback source addresses, 127.1.0.1 onwards, each handed out once: about four
    million, so no run comes near reusing one."""

    FIRST = int(ipaddress.IPv4Address("127.1.0.1"))
    COUNT = 1 << 22

    def __init__(self) -> None:
        self.taken = 0

    def next(self) -> tuple[str, int]:
        """(address, any port) to bind the next connection to."""
        address = ipaddress.IPv4Address(self.FIRST + self.taken % self.COUNT)
        self.taken += 1
        return str(address), 0


_sources = _Sources()


def sources_used() -> int:
    """How many source addresses the connections so far came from."""
    return min(_sources.taken, _Sources.COUNT)


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def exchange(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, local_addr=_sources.next()
            )
        assert self.reader is not None
        self.writer.write(raw)
        status, keep_alive, body = await _read_response(self.reader)
        if not keep_alive:
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunks.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(c[:-2] for c in chunks)
    else:
        body = await reader.read()
    keep_alive = headers.get("connection", "").lower() != "close"
    return status, keep_alive, body


async def closed_loop(
    *,
    host: str,
    port: int,
    requests: list[Request],
    connections: int,
    duration: float,
) -> Result:
    """`connections` clients, each sending the next request as soon as the last is answered.

    Client i cycles through `requests` starting at offset i, so per-user requests spread.
    """
    raws = [r.encode(f"{host}:{port}") for r in requests]
    result = Result(started=time.perf_counter())
    deadline = result.started + duration

    async def client(offset: int) -> None:
        connection = _Connection(host, port)
        i = offset
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    status, _ = await asyncio.wait_for(
                        connection.exchange(raws[i % len(raws)]), timeout=30
                    )
                except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                    result.errors[type(exc).__name__] += 1
                    await connection.close()
                    continue
                result.record(status, started)
                i += connections
        finally:
            await connection.close()

    await asyncio.gather(*(client(i) for i in range(connections)))
    result.finished = time.perf_counter()
    return result


class _OneShot(asyncio.Protocol):
    """One request on a connection of its own, answered once the whole response is in.

    A protocol rather than streams: a burst opens a thousand connections at once, and the
    load generator shares the machine's two cores with the server it measures.
    """

    def __init__(self, raw: bytes, answer: asyncio.Future) -> None:
        self.raw = raw
        self.answer = answer
        self.received = bytearray()

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.raw)

    def data_received(self, data: bytes) -> None:
        self.received += data
        response = _complete_response(self.received)
        if response is not None and not self.answer.done():
            self.answer.set_result(response)
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.answer.done():
            self.answer.set_exception(exc or ConnectionError("closed before the answer"))


def _complete_response(data: bytearray) -> tuple[int, bytes] | None:
    """(status, body) once `data` holds a whole response, else None."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    status_line, *header_lines = bytes(data[:end]).decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in header_lines)
    }
    body = bytes(data[end + 4 :])
    if "content-length" in headers:
        if len(body) < int(headers["content-length"]):
            return None
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        if not body.endswith(b"0\r\n\r\n"):
            return None
        body = _dechunk(body)
    return int(status_line.split(" ", 2)[1]), body


def _dechunk(body: bytes) -> bytes:
    chunks, position = [], 0
    while True:
        line_end = body.index(b"\r\n", position)
        size = int(body[position:line_end].split(b";")[0], 16)
        if size == 0:
            return b"".join(chunks)
        chunks.append(body[line_end + 2 : line_end + 2 + size])
        position = line_end + 2 + size + 2


async def burst(
    *, host: str, port: int, requests: list[Request], timeout: float = 30
) -> tuple[Result, list[bytes]]:
    """Every request at once, each on a connection of its own; the answers' bodies in order."""
    loop = asyncio.get_running_loop()
    raws = [r.encode(f"{host}:{port}") for r in requests]
    result = Result(started=time.perf_counter())
    bodies: list[bytes] = [b""] * len(requests)

    async def one(index: int) -> None:
        answer = loop.create_future()
        started = time.perf_counter()
        try:
            await loop.create_connection(
                lambda: _OneShot(raws[index], answer), host, port, local_addr=_sources.next()
            )
            status, bodies[index] = await answer
        except OSError as exc:
            result.errors[type(exc).__name__] += 1
            return
        result.record(status, started)

    # One deadline for the whole crowd: a timer per request would cost the load generator
    # CPU that the server it measures shares.
    crowd = [asyncio.ensure_future(one(i)) for i in range(len(requests))]
    _, late = await asyncio.wait(crowd, timeout=timeout)
    if late:
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        result.errors["TimeoutError"] += len(late)
    result.finished = time.perf_counter()
    return result, bodies
