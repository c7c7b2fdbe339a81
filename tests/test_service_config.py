"""
What ``opinion-rules serve`` refuses before it listens: a wrong token file,
a wrong plans folder, a wrong plan file, wrong options, a missing extra;
each is exit 2 with one located line and no traceback (in-process: nothing
listens).  Also the service's readers of tokens and query parameters.
"""

from __future__ import annotations

import asyncio
import builtins
import io
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

import opinion_rules
from opinion_rules.cli._main import main
from opinion_rules.exceptions import FactError, ServiceError
from opinion_rules.service._inputs import QueryParams
from opinion_rules.service._plans import load_plans
from opinion_rules.service._run import listening_socket
from opinion_rules.service._tokens import new_token_file, read_tokens
from opinion_rules.store import open_store

from .conftest import ROOT
from .service_fixtures import RO, RW, plans_folder, token_file


def serve(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    argv = ["serve", "--store", str(tmp_path / "cases.db"), *args]
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_tokens_are_read_with_their_access_and_name(tmp_path: Path):
    """Each line's token is found by its secret; an unknown or empty secret finds none."""
    tokens = read_tokens(token_file(tmp_path))

    assert [("desk", "rw"), ("dashboard", "ro"), None, None] == [
        None if (t := tokens.find(given)) is None else (t.name, t.access)
        for given in (RW, RO, RW[:-1], "")
    ]
    assert "<Token desk rw>" == repr(tokens.find(RW))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no token"),
        (f"{RW} rw\n", ":1:1: is not three fields"),
        (f"{RW} rx desk\n", ":1:34: is not an access; expected rw or ro"),
        ("short rw desk\n", ":1:1: is a token of 5 characters; expected at least 32"),
        (f"# comment\n{RW} rw desk\n{RW} ro other\n", ":3:1: repeats the token of line 2"),
        (f"{RW}é rw desk\n", ":1:1: is not a token"),
    ],
)
def test_a_wrong_token_file_is_located_and_never_quotes_a_token(
    tmp_path: Path, text: str, message: str
):
    """Each wrong line is named file:line:column, without the secret."""
    with pytest.raises(ServiceError) as caught:
        read_tokens(token_file(tmp_path, text))

    assert message in str(caught.value)
    assert RW not in str(caught.value)


def test_a_token_file_open_to_others_is_refused(tmp_path: Path):
    """A token file group or others may read is refused, with the chmod that fixes it."""
    path = token_file(tmp_path)
    path.chmod(0o644)

    with pytest.raises(ServiceError) as caught:
        read_tokens(path)

    assert (
        f"{path}: is open to group or others (mode 644); expected a file only its owner can read: chmod 600 {path}"
        == str(caught.value)
    )


def _plans_with(tmp_path: Path, name: str, text: str) -> Path:
    plans = plans_folder(tmp_path)
    (plans / name).write_text(text, encoding="utf-8")
    return plans


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plans", "{tmp}/nowhere", "--tokens", "{tokens}"], "nowhere: is neither a folder"),
        (["--plans", "{evil}", "--tokens", "{tokens}"], "evil.py: is not a plan file the service"),
        (["--plans", "{empty}", "--tokens", "{tokens}"], "holds no plan file"),
        (["--plans", "{bad}", "--tokens", "{tokens}"], "bad.yaml:2:1: not valid YAML"),
        (["--plans", "{plans}", "--tokens", "{tmp}/missing"], "missing: cannot be read"),
        (["--plans", "{plans}", "--tokens", "{tokens}", "--port", "70000"], "--port: is 70000"),
        (["--plans", "{plans}", "--tokens", "{tokens}", "--max-body", "0"], "--max-body: is 0"),
        (
            ["--plans", "{plans}", "--tokens", "{tokens}", "--param", "fever_threshold=37.3"],
            "parameter 'fever_threshold': is declared by no plan in",
        ),
        (["--plans", "{plans}", "--tokens", "{tokens}", "--param", "fever"], "is not NAME=NUMBER"),
    ],
)
def test_serve_refuses_wrong_configuration_with_exit_2(
    tmp_path: Path, args: list[str], message: str
):
    """A wrong plans folder, plan file, token file or option: exit 2, one line, nothing listens."""
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "bad.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    places = {
        "tmp": tmp_path,
        "tokens": token_file(tmp_path),
        "plans": plans_folder(tmp_path),
        "empty": empty,
        "bad": bad,
        "evil": _plans_with(tmp_path, "evil.py", "raise SystemExit('ran')\n") / "evil.py",
    }

    code, out, err = serve(tmp_path, *(a.format(**places) for a in args))

    assert (2, "") == (code, out)
    assert message in err
    assert 1 == len(err.splitlines()), err


def test_a_python_plan_in_the_folder_is_skipped_never_run(tmp_path: Path, caplog):
    """The service reads plan files only: a .py file in --plans is skipped with a warning."""
    plans = _plans_with(tmp_path, "evil.py", "raise SystemExit('ran')\n")
    with open_store(tmp_path / "cases.db") as store:
        held = load_plans(plans, store, store.plugins)

    assert ["work-safety@2023-1"] == sorted(held.by_key)
    assert "evil.py: skipped: the service reads plan files only, never code" in caplog.text


def test_serve_without_the_extra_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Without starlette, serve exits 2 and says which extra to install."""
    real_import = builtins.__import__

    def without_starlette(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "starlette" or name.startswith("starlette."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    for module in [m for m in sys.modules if m.startswith("opinion_rules.service")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.delattr(opinion_rules, "service", raising=False)
    monkeypatch.setattr(builtins, "__import__", without_starlette)

    code, _, err = serve(
        tmp_path, "--plans", str(plans_folder(tmp_path)), "--tokens", str(token_file(tmp_path))
    )

    assert 2 == code
    assert "pip install 'opinion-rules[service]'" in err


def test_query_parameters_are_read_once_each():
    """A parameter given twice or not read by the request is refused, every one named."""
    query = QueryParams.of([("at", "2026-11-23T14:00:00+08:00"), ("at", "x"), ("hrizon", "3d")])
    query.text("at")
    query.duration("horizon", "24h")

    with pytest.raises(FactError) as caught:
        query.done()

    assert [
        "at: is given more than once; expected one value",
        "hrizon: is not a parameter of this request; expected one of 'at', 'horizon'; did you mean 'horizon'?",
    ] == [str(p) for p in caught.value.problems]


def test_one_plan_file_may_be_held_alone(tmp_path: Path):
    """--plans may name one plan file instead of a folder: only that plan is held."""
    plans = _plans_with(tmp_path, "other.yaml", "not: a plan\n")
    with open_store(tmp_path / "cases.db") as store:
        held = load_plans(plans / "work_safety.yaml", store, store.plugins)

    assert ["work-safety@2023-1"] == sorted(held.by_key)


def test_a_new_token_file_is_private_and_never_overwritten(tmp_path: Path):
    """new_token_file makes a mode-600 file with one rw token; an existing file is kept as is."""
    path = tmp_path / "tokens"
    secret = new_token_file(path, "desk")
    before = path.read_bytes()

    again = new_token_file(path, "other")

    (token,) = read_tokens(path).tokens
    assert (0o600, "rw", "desk", secret) == (
        path.stat().st_mode & 0o777,
        token.access,
        token.name,
        token.secret,
    )
    assert (None, before) == (again, path.read_bytes())


def test_serve_create_tokens_prints_the_new_token(tmp_path: Path):
    """serve --create-tokens creates a missing token file and prints its token once."""
    path = tmp_path / "tokens"

    code, out, _err = serve(
        tmp_path, "--plans", str(tmp_path / "nowhere"), "--tokens", str(path), "--create-tokens"
    )

    (token,) = read_tokens(path).tokens
    assert 2 == code  # the plans folder is wrong; the token file was made first
    assert f"created {path} with a read-write token for 'operator': {token.secret}\n" == out


def test_connections_to_the_service_socket_send_without_delay():
    """Accepted connections get TCP_NODELAY from asyncio, so no response waits for a delayed ACK."""
    seen: list[int] = []

    async def accept_one() -> None:
        accepted = asyncio.Event()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()
                accepted.set()

        listening = listening_socket("127.0.0.1", 0)
        server = await asyncio.get_running_loop().create_server(Probe, sock=listening)
        port = listening.getsockname()[1]
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await accepted.wait()
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(asyncio.wait_for(accept_one(), 30))

    assert [1] == [1 if flag else 0 for flag in seen]


def test_parameters_are_set_on_the_plans_that_declare_them(tmp_path: Path):
    """serve --param sets a value on each held plan declaring it; the others are held unchanged."""
    plans = plans_folder(tmp_path)
    shutil.copy(ROOT / "examples" / "plans" / "cultural_venues.yaml", plans)
    with open_store(tmp_path / "cases.db") as store:
        held = load_plans(plans, store, store.plugins, {"fever_threshold": 37.3})

    venues = held.find("cultural-venues", "plan").plan
    assert [("fever_threshold", 37.3)] == [(p.id, p.value) for p in venues.parameters]
    assert (
        opinion_rules.load_plan(plans / "work_safety.yaml") == held.find("work-safety", "plan").plan
    )
