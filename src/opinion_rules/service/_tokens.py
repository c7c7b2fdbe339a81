"""
The service's bearer tokens: read from a file the operator manages, one
token per line, and checked in constant time.

The file::

    # TOKEN                              ACCESS  NAME
    3f9c0d6e8b1a4f7c9e2d5b8a1c4f7e0d      rw      monitor
    a8e1f4c7b0d3e6f9a2c5b8e1d4f7a0c3      ro      dashboard

``rw`` may read and write, ``ro`` may only read; the name is what the
store records as ``recorded_by`` for that token's writes.  ``#`` starts a
comment; blank lines are skipped.  A token is at least
:data:`SHORTEST_TOKEN` characters of the RFC 6750 token alphabet.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import stat
from pathlib import Path

import attrs

from opinion_rules._reading import InputError, read_limited
from opinion_rules.exceptions import Problem, ServiceError


__all__ = ["ACCESS", "SHORTEST_TOKEN", "Token", "Tokens", "new_token_file", "read_tokens"]

#: The access levels: read and write, or read only.
ACCESS = ("rw", "ro")
#: The fewest characters a token may have (128 bits as hex digits).
SHORTEST_TOKEN = 32
# RFC 6750's b64token alphabet.
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_NAME = re.compile(r"[^\s#]+")
_EXPECTED = "TOKEN ACCESS NAME, e.g. 3f9c...e0d rw monitor (ACCESS is rw or ro)"
# A token file is a few lines; anything this large is the wrong file.
_TOKENS_FILE_BYTES = 1_000_000


@attrs.frozen(repr=False)
class Token:
    """
    One bearer token: its secret, its access (``rw`` or ``ro``) and the
    name recorded for its writes.  The repr never shows the secret.
    """

    secret: str
    access: str = attrs.field(validator=attrs.validators.in_(ACCESS))
    name: str

    @property
    def writes(self) -> bool:
        """
        Whether the token may write.
        """
        return self.access == "rw"

    def __repr__(self) -> str:
        return f"<Token {self.name} {self.access}>"


@attrs.frozen
class Tokens:
    """
    The tokens of a token file.
    """

    tokens: tuple[Token, ...]

    def find(self, given: str) -> Token | None:
        """
        The token whose secret is *given*, compared in constant time with
        every token (so the time taken does not tell which one, or how much
        of it, matched); ``None`` when none is.
        """
        found = None
        for token in self.tokens:
            if hmac.compare_digest(token.secret.encode(), given.encode()):
                found = token
        return found


def new_token_file(path: str | os.PathLike[str], name: str) -> str | None:
    """
    Create the token file *path* with one new read-write token for *name*,
    readable by its owner only, and return the token; ``None`` (and
    nothing written) when the file exists already.

    Raises:
        ServiceError: *name* is not a token name, or the file cannot be created.
    """
    shown = os.fspath(path)
    if not _NAME.fullmatch(name):
        raise ServiceError("--token-name", f"is {name!r}; expected one word without #")
    secret = secrets.token_hex(16)
    text = f"# TOKEN ACCESS NAME (docs/how-to/serve-http.md)\n{secret} rw {name}\n"
    try:
        # O_EXCL: an existing file is never overwritten; 0o600 from the start.
        handle = os.open(shown, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None
    except OSError as exc:
        raise ServiceError(shown, f"cannot be created: {exc.strerror}") from None
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    return secret


def read_tokens(path: str | os.PathLike[str]) -> Tokens:
    """
    Read the token file at *path*.

    The file must not be readable or writable by group or others (``chmod
    600``), as ssh insists for private keys: a token anyone on the machine
    can read is no secret.

    Raises:
        ServiceError: the file cannot be read, is open to others,
            holds no token, or a line is wrong (located ``file:line:column``).
    """
    file = Path(path)
    shown = os.fspath(path)
    try:
        mode = file.stat().st_mode
    except OSError as exc:
        raise ServiceError(shown, f"cannot be read: {exc.strerror}") from None
    if os.name == "posix" and stat.S_ISREG(mode) and mode & 0o077:
        raise ServiceError(
            shown,
            f"is open to group or others (mode {stat.S_IMODE(mode):o}); expected a file only "
            f"its owner can read: chmod 600 {shown}",
        )
    try:
        text = read_limited(file, _TOKENS_FILE_BYTES, "token file")
    except InputError as exc:
        raise ServiceError(shown, exc.message) from None
    tokens: list[Token] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0]
        if not content.strip():
            continue
        problem, token = _line(content, shown, number)
        if problem is None and token is not None and token.secret in seen:
            problem = _problem(
                shown, number, content, content.strip().split()[0],
                f"repeats the token of line {seen[token.secret]}", "a token of its own",
            )  # fmt: skip
        if problem is not None:
            problems.append(problem)
        elif token is not None:
            seen[token.secret] = number
            tokens.append(token)
    if problems:
        raise ServiceError(shown, "; ".join(str(p) for p in problems), problems)
    if not tokens:
        raise ServiceError(shown, f"holds no token; expected lines of {_EXPECTED}")
    return Tokens(tuple(tokens))


def _line(content: str, file: str, number: int) -> tuple[Problem | None, Token | None]:
    fields = content.split()
    if len(fields) != 3:
        return _problem(file, number, content, fields[0], "is not three fields", _EXPECTED), None
    secret, access, name = fields
    if not _TOKEN.fullmatch(secret):
        return _problem(
            file, number, content, secret, "is not a token", "letters, digits and -._~+/"
        ), None
    if len(secret) < SHORTEST_TOKEN:
        return _problem(
            file, number, content, secret,
            f"is a token of {len(secret)} characters", f"at least {SHORTEST_TOKEN}, e.g. from "
            "'python -c \"import secrets; print(secrets.token_hex(16))\"'",
        ), None  # fmt: skip
    if access not in ACCESS:
        return _problem(file, number, content, access, "is not an access", "rw or ro"), None
    if not _NAME.fullmatch(name):
        return _problem(file, number, content, name, "is not a name", "one word"), None
    return None, Token(secret, access, name)


def _problem(
    file: str, number: int, content: str, field: str, message: str, expected: str
) -> Problem:
    # The secret itself is never quoted back.
    return Problem("", message, expected, file=file, line=number, column=content.index(field) + 1)
