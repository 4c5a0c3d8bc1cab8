"""The README's API examples, run as shown against `make run` on a database of their own.

Every ```sh block of the README with a `curl` command to `make run`'s address is sent, in
order, to a live `make run` (demo mode, DEBUG on, as a newcomer starts it); in the API
section, no answer is shown without its command. Each answer must have what the
block after it prints: the status and headers when it shows them (`curl -i`), else 200; and a
body of the same shape, with equal values except those a run makes anew (codes, tokens,
times, invite codes), which must stay consistent from one example to the next. What one
answer makes anew is what later commands send: the README's `"code": "6507"` becomes the code
this run got. So an example that no longer answers as the README says fails here.
"""

import json
import os
import re
import shlex
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import pytest

from live.conftest import ROOT, START_TIMEOUT, _free_port, stop_group

README = ROOT / "README.md"
# Where the README's commands send their requests: `make run`'s default address.
README_URL = "http://127.0.0.1:8000"
# The user whose invite code the README activates; this test signs it up first and gives its
# token to the commands in OWNER_TOKEN, as the README says.
REFERRER_CODE = "U7QPS8"
REFERRER_PHONE = "+79035550102"
# The values a run makes anew, by their JSON name (in answers other than problems).
MADE_ANEW = {
    "code",
    "token",
    "token_expires_at",
    "date_joined",
    "activated_at",
    "invite_code",
    "invite_link",
    "activated_invite_code",
}


@dataclass
class Example:
    line: int
    variables: dict[str, str]
    command: list[str]
    shown: str


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    include_headers: bool = False


@dataclass
class Block:
    language: str
    text: str
    line: int
    section: str


def readme_blocks() -> list[Block]:
    """The README's fenced blocks, each with the line of its fence and its `##` section."""
    text = README.read_text()
    blocks = []
    for match in re.finditer(r"^ *```(\w*)\n(.*?)^ *```$", text, re.M | re.S):
        headings = re.findall(r"^## (.+)$", text[: match.start()], re.M)
        line = text.count("\n", 0, match.start()) + 1
        blocks.append(Block(match.group(1), match.group(2), line, headings[-1] if headings else ""))
    return blocks


def _is_curl(block: Block) -> bool:
    """A curl command to `make run` (the README may show commands for other servers too)."""
    command = re.search(rf"^curl .*{re.escape(README_URL)}", block.text, re.M | re.S)
    return block.language == "sh" and command is not None


def _is_answer(block: Block) -> bool:
    return block.language == "json" or (block.language == "" and block.text.startswith("HTTP/"))


def readme_examples() -> list[Example]:
    """Each curl example to `make run`, with the block that follows it (the answer)."""
    blocks = readme_blocks()
    examples = []
    for index, block in enumerate(blocks):
        if not _is_curl(block):
            continue
        line = block.line
        answer = blocks[index + 1] if index + 1 < len(blocks) else Block("", "", 0, "")
        assert _is_answer(answer), f"README line {line}: a curl example with no answer"
        shown = answer.text
        variables: dict[str, str] = {}
        commands = []
        for statement in block.text.replace("\\\n", " ").splitlines():
            if assignment := re.fullmatch(r"([A-Z_]+)=(\S+)", statement.strip()):
                variables[assignment.group(1)] = assignment.group(2)
            elif statement.strip():
                commands.append(shlex.split(statement))
        assert len(commands) == 1, f"README line {line}: one curl command per example"
        examples.append(Example(line, variables, commands[0], shown))
    return examples


def curl_request(command: list[str], variables: dict[str, str]) -> Request:
    """The request a curl command line sends; an option this does not know fails the test."""
    assert command[0] == "curl", command
    request = Request("GET", "")
    words = iter(
        re.sub(r"\$\{?([A-Z_]+)\}?", lambda m: variables[m.group(1)], word) for word in command[1:]
    )
    for word in words:
        if word == "-s":
            continue
        if word == "-i":
            request.include_headers = True
        elif word == "-X":
            request.method = next(words)
        elif word == "-H":
            name, value = next(words).split(":", 1)
            request.headers[name.strip()] = value.strip()
        elif word == "-d":
            request.body = next(words)
            if request.method == "GET":
                request.method = "POST"
        elif word.startswith("http"):
            request.url = word
        else:
            pytest.fail(f"the README's curl uses {word!r}, which this test does not read")
    return request


@dataclass
class Shown:
    status: int
    headers: dict[str, str]
    body: Any


def shown_answer(text: str, *, with_headers: bool) -> Shown:
    if not with_headers:
        return Shown(200, {}, json.loads(text))
    head, body = text.split("\n\n", 1)
    status_line, *header_lines = head.splitlines()
    status = int(status_line.split()[1])
    headers = {}
    for header in header_lines:
        name, value = header.split(":", 1)
        headers[name.strip().lower()] = value.strip()
    return Shown(status, headers, json.loads(body))


class Run:
    """What this run made in place of the README's values, kept consistent across examples."""

    def __init__(self, base_url: str, variables: dict[str, str]) -> None:
        self.base_url = base_url
        # The shell's variables: those the README's commands use without setting them, then
        # those they set.
        self.variables = dict(variables)
        self.made: dict[str, Any] = {}

    def made_for(self, shown: str) -> str | None:
        """This run's value for one the README shows, matching its case (`u7qps8`)."""
        for readme_value, value in self.made.items():
            if isinstance(value, str) and shown.upper() == readme_value.upper():
                return value.lower() if shown == shown.lower() != shown.upper() else value
        return None

    def sent(self, value: Any) -> Any:
        """A value of a request body as this run sends it."""
        if isinstance(value, dict):
            return {key: self.sent(item) for key, item in value.items()}
        if not isinstance(value, str):
            return value
        made = self.made_for(value)
        if made is not None:
            return made
        if value.isdigit() and value in self.made.values():
            # The README sends a value other than the one it shows (a wrong code); this run
            # made that very value, so a different one keeps the README's meaning.
            return str((int(value) + 1) % 10 ** len(value)).zfill(len(value))
        return value

    def request(self, example: Example) -> Request:
        # A variable set in one example keeps its value in the next, as in a shell.
        for name, value in example.variables.items():
            self.variables[name] = self.made_for(value) or value
        request = curl_request(example.command, self.variables)
        assert request.url.startswith(README_URL), request.url
        request.url = self.base_url + request.url.removeprefix(README_URL)
        if request.body is not None:
            request.body = json.dumps(self.sent(json.loads(request.body)), ensure_ascii=False)
        return request

    def compare(self, shown: Any, real: Any, where: str, *, in_problem: bool = False) -> None:
        """`real` has `shown`'s shape; its values are equal, or consistently made anew."""
        assert type(real) is type(shown), f"{where}: {real!r} where the README shows {shown!r}"
        if isinstance(shown, dict):
            assert set(real) == set(shown), f"{where}: keys {sorted(real)}, README {sorted(shown)}"
            in_problem = in_problem or str(shown.get("type", "")).startswith(
                "urn:phoneref:problem:"
            )
            for key, value in shown.items():
                if key in MADE_ANEW and not in_problem and value is not None:
                    self.made_anew(value, real[key], f"{where}.{key}")
                else:
                    self.compare(value, real[key], f"{where}.{key}", in_problem=in_problem)
        elif isinstance(shown, list):
            assert len(real) == len(shown), f"{where}: {real!r} where the README shows {shown!r}"
            for index, (item, real_item) in enumerate(zip(shown, real, strict=True)):
                self.compare(item, real_item, f"{where}[{index}]", in_problem=in_problem)
        else:
            assert real == shown, f"{where}: {real!r} where the README shows {shown!r}"

    def made_anew(self, shown: Any, real: Any, where: str) -> None:
        assert type(real) is type(shown), f"{where}: {real!r} where the README shows {shown!r}"
        if shown in self.made:
            assert real == self.made[shown], (
                f"{where}: {real!r}, but the README's {shown!r} was {self.made[shown]!r} before"
            )
        else:
            self.made[shown] = real


@pytest.fixture(scope="module")
def fresh_database_url() -> Iterator[str]:
    """A database of its own on the test PostgreSQL, as a newcomer's first `make run` has."""
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith("postgres"):
        pytest.fail("live tests need DATABASE_URL of a throwaway PostgreSQL (make test-live)")
    name = f"readme_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def make_run(fresh_database_url, tmp_path_factory) -> Iterator[str]:
    """`make run` as the README starts it, on a free port; its base URL."""
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        # The test runner's settings must not leak into the server.
        if key not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "DEMO_MODE", "SECRET_KEY"}
    }
    env.update(DATABASE_URL=fresh_database_url, HOST="127.0.0.1", PORT=str(port))
    log = tmp_path_factory.mktemp("make-run") / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run"],  # noqa: S607 - make from PATH, as a newcomer
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=2, trust_env=False).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"make run did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)
    yield url
    stop_group(process)


def _sign_up(client: httpx.Client, phone: str) -> dict:
    code = client.post("/api/v1/auth/request-code/", json={"phone": phone}).json()["code"]
    return client.post("/api/v1/auth/verify-code/", json={"phone": phone, "code": code}).json()


def test_every_answer_the_api_section_shows_follows_its_curl_example():
    blocks = readme_blocks()
    answers = [i for i, block in enumerate(blocks) if block.section == "API" and _is_answer(block)]
    assert answers
    for index in answers:
        assert _is_curl(blocks[index - 1]), (
            f"README line {blocks[index].line}: an answer with no curl command before it"
        )


def test_every_curl_example_answers_as_the_readme_shows(make_run):
    with httpx.Client(base_url=make_run, timeout=30, trust_env=False) as client:
        referrer = _sign_up(client, REFERRER_PHONE)
        run = Run(make_run, {"OWNER_TOKEN": referrer["token"]})
        run.made[REFERRER_CODE] = referrer["profile"]["invite_code"]
        for example in readme_examples():
            where = f"README line {example.line}"
            request = run.request(example)
            response = client.request(
                request.method, request.url, headers=request.headers, content=request.body
            )
            shown = shown_answer(example.shown, with_headers=request.include_headers)
            assert response.status_code == shown.status, f"{where}: {response.text}"
            for name, value in shown.headers.items():
                assert response.headers.get(name) == value, f"{where}: header {name}"
            run.compare(shown.body, response.json(), where)
