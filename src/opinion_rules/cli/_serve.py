"""
``opinion-rules serve``: run the HTTP service (docs/how-to/serve-http.md)
on uvicorn until interrupted.

It reads the token file and the plan files and stores the plans before it
listens: a mistake in either is exit 2 with the located message.  Once it
listens it prints ``listening on URL`` on standard output (``--port 0``
picks a free port).  ``--at`` and writes' ``recorded_at`` default to the
clock this command reads.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from opinion_rules.cli import _clock
from opinion_rules.cli._evaluate import parse_params
from opinion_rules.cli._exits import EXIT_OK
from opinion_rules.cli._options import add_plugin_option
from opinion_rules.cli._output import Streams
from opinion_rules.cli._track import STORE_ENV
from opinion_rules.exceptions import ServiceError


__all__ = ["add_serve_parser", "run_serve"]

#: The packages of the ``service`` extra.
_EXTRA = frozenset({"starlette", "uvicorn"})


def add_serve_parser(commands: Any) -> None:
    """
    Add the ``serve`` command to *commands*, the subparsers of the
    ``opinion-rules`` parser.

    .. versionadded:: 0.6.0
    """
    serve = commands.add_parser(
        "serve",
        help="run the HTTP service over a case store",
        description="Serve the case store and the plans in --plans over HTTP, with bearer "
        "tokens from --tokens (docs/how-to/serve-http.md). Needs the service extra: pip "
        "install 'opinion-rules[service]'.",
    )
    serve.add_argument(
        "--store",
        metavar="PATH_OR_URL",
        default=None,
        help=f"the case store: a SQLite file or a postgresql:// URL, created if missing "
        f"(default: ${STORE_ENV})",
    )
    serve.add_argument(
        "--plans",
        required=True,
        metavar="DIR",
        help="the folder of the plan files to hold (or one plan file)",
    )
    serve.add_argument(
        "--tokens",
        required=True,
        metavar="FILE",
        help="the token file: one 'TOKEN rw|ro NAME' per line, readable by its owner only",
    )
    serve.add_argument(
        "--create-tokens",
        action="store_true",
        help="if the token file does not exist, create it (readable by you only) with one new "
        "read-write token for --token-name, and print the token",
    )
    serve.add_argument(
        "--token-name",
        default="operator",
        metavar="NAME",
        help="the name of the token --create-tokens makes (default: operator)",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=int, default=8080, help="the port; 0 picks a free one (default: 8080)"
    )
    serve.add_argument(
        "--max-body",
        type=int,
        default=None,
        metavar="BYTES",
        help="the largest request body accepted (default: 1048576)",
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=("critical", "error", "warning", "info", "debug"),
        help="uvicorn's log level; info logs every request (default: info)",
    )
    serve.add_argument(
        "--param",
        metavar="NAME=NUMBER",
        action="append",
        default=[],
        help="a value for a plan parameter, set on every plan held that declares it, e.g. "
        "fever_threshold=37.3 (repeatable)",
    )
    add_plugin_option(serve)


def run_serve(args: argparse.Namespace, io: Streams) -> int:
    """
    Run ``opinion-rules serve`` until interrupted; return the exit code.

    Raises:
        OpinionRulesError: the extra is missing, the token file, the plans
            or the store are wrong (for the caller to report).

    .. versionadded:: 0.6.0
    """
    store = args.store or os.environ.get(STORE_ENV)
    if not store:
        raise ServiceError(
            "--store",
            f"is not given; expected a SQLite path or a postgresql:// URL (or ${STORE_ENV})",
        )
    try:
        # Imported only now: the other commands work without the extra.
        from opinion_rules import service  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in _EXTRA:
            raise
        raise ServiceError(
            "opinion-rules serve",
            f"needs the service extra ({exc.name} is not installed); expected pip install "
            "'opinion-rules[service]'",
        ) from None
    kwargs: dict[str, Any] = {} if args.max_body is None else {"max_body": args.max_body}
    if args.max_body is not None and args.max_body < 1:
        raise ServiceError("--max-body", f"is {args.max_body}; expected a number of bytes above 0")
    if not 0 <= args.port <= 65535:
        raise ServiceError("--port", f"is {args.port}; expected 0 to 65535")
    _log_store_warnings()
    if args.create_tokens:
        secret = service.new_token_file(args.tokens, args.token_name)
        if secret is not None:
            io.out.write(
                f"created {args.tokens} with a read-write token for {args.token_name!r}: {secret}\n"
            )
    kwargs["parameters"] = parse_params(args.param)
    app = service.create_app(
        store, args.plans, args.tokens, clock=_clock.now, plugins=args.plugin, **kwargs
    )

    def listening(url: str) -> None:
        io.out.write(f"listening on {url}\n")
        io.out.flush()

    try:
        service.serve(
            app, host=args.host, port=args.port, on_listen=listening, log_level=args.log_level
        )
    except OSError as exc:
        raise ServiceError(
            f"{args.host}:{args.port}", f"cannot listen: {exc.strerror or exc}"
        ) from None
    return EXIT_OK


def _log_store_warnings() -> None:
    """
    The store's and the service's warnings (a listener that failed after a
    write, a Python file skipped in --plans) on standard error.
    """
    for name in ("opinion_rules.store", "opinion_rules.service"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("opinion-rules: %(levelname)s: %(message)s"))
            logger.addHandler(handler)
            logger.setLevel(logging.WARNING)
