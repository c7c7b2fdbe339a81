"""
The ASGI application: routes, the bearer-token check, bounded bodies, and
every answer as JSON.

Each request is checked in this order: its token (401 without a valid
one, whatever the path), its access (403 for a read-only token on a
write), its content type (415 unless ``application/json``), its size (413
over the limit), its JSON (400), its fields (422); then the store answers
on a worker thread, and library errors become their status codes
(:func:`~._errors.status_of`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from opinion_rules._version import __version__
from opinion_rules.exceptions import OpinionRulesError
from opinion_rules.planfile._loaders import PluginsArg
from opinion_rules.plugins._manager import plugin_set
from opinion_rules.service import _handlers
from opinion_rules.service._errors import HTTPProblem, error_body, status_of
from opinion_rules.service._inputs import QueryParams, parse_body
from opinion_rules.service._openapi import openapi_document
from opinion_rules.service._plans import HeldPlans, load_plans
from opinion_rules.service._tokens import Token, Tokens, read_tokens
from opinion_rules.service._workers import Worker, Workers
from opinion_rules.store._open import open_store


__all__ = ["DEFAULT_MAX_BODY", "DEFAULT_THREADS", "create_app"]

#: The largest request body accepted, in bytes (1 MiB).
DEFAULT_MAX_BODY = 1_048_576
#: How many threads (each with its own store connection) answer requests.
DEFAULT_THREADS = 4

logger = logging.getLogger("opinion_rules.service")

_SCOPE_KEY = "opinion_rules.token"
_WWW_AUTHENTICATE = 'Bearer realm="opinion-rules"'
_ENTRY_EXPECTED = 'an entry like {"id": "e1", "event": {...}}, or an array of them'


@attrs.frozen
class _Service:
    plans: HeldPlans
    tokens: Tokens
    workers: Workers
    clock: Callable[[], datetime]
    max_body: int


def create_app(
    store: str | os.PathLike[str],
    plans: str | os.PathLike[str],
    tokens: str | os.PathLike[str],
    *,
    clock: Callable[[], datetime],
    plugins: PluginsArg = None,
    max_body: int = DEFAULT_MAX_BODY,
    threads: int = DEFAULT_THREADS,
    parameters: Mapping[str, float] | None = None,
) -> Starlette:
    """
    The HTTP service as an ASGI application (Starlette), for uvicorn or any
    ASGI server; ``opinion-rules serve`` runs it on uvicorn.

    The token file and the plans are read, and the plans stored, now: a
    mistake is an error here, before anything listens.  The store is
    created if it does not exist.  The application opens *threads* store
    connections when it starts (ASGI lifespan) and closes them when it
    stops.

    Args:
        store: The case store: a SQLite path or a ``postgresql://`` URL.
        plans: The folder of the plan files the service holds.
        tokens: The token file (docs/how-to/serve-http.md).
        clock: Returns the current instant (timezone-aware): the default of
            ``at`` and the ``recorded_at`` of every write.  The service
            never reads a clock of its own.
        plugins: The plug-ins to enable, as for
            :func:`~opinion_rules.store.open_store`: plans are read and
            evaluated with them, and listener plug-ins are told about every
            write's changes.
        max_body: The largest request body accepted, in bytes.
        threads: How many requests the store works on at once.
        parameters: Parameter values, each set on every plan held that
            declares it (:meth:`~opinion_rules.Plan.with_parameters`); a
            plan whose parameter has no value cannot be evaluated.

            .. versionadded:: 0.6.0

    Raises:
        ServiceError: the token file or the plans folder is wrong, or a
            parameter is declared by no plan held.
        PlanError: a plan file is wrong (located).
        StoreError: the store cannot be opened, or refuses a plan.
        PluginError: a plug-in cannot be enabled.

    .. versionadded:: 0.6.0
    """
    if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body < 1:
        raise ValueError(f"max_body must be a positive number of bytes (got {max_body!r})")
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= 64:
        raise ValueError(f"threads must be from 1 to 64 (got {threads!r})")
    token_table = read_tokens(tokens)
    enabled = plugin_set(plugins)
    with open_store(store, create=True, plugins=enabled) as first:
        held = load_plans(plans, first, enabled, parameters)
    workers = Workers(lambda: open_store(store, create=False, plugins=enabled), threads)
    service = _Service(held, token_table, workers, clock, max_body)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        workers.start()
        try:
            yield
        finally:
            workers.stop()

    app = Starlette(
        routes=_routes(service),
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_exception},  # type: ignore[dict-item]
    )
    app.add_middleware(_Authenticate, tokens=token_table)
    return app


@attrs.frozen
class _Call:
    """
    One request as a job sees it: the request, its JSON body (if any) and
    its token.
    """

    request: Request
    data: Any
    token: Token

    def incident(self) -> str:
        return str(self.request.path_params["incident_id"])

    def query(self) -> QueryParams:
        return QueryParams.of(self.request.query_params.multi_items())


_Job = Callable[[Worker, _Call], _handlers.Answer]


def _routes(service: _Service) -> list[Route]:
    now = service.clock
    plans = service.plans

    def health(w: Worker, c: _Call) -> _handlers.Answer:
        c.query().done()
        return 200, {"status": "ok", "version": __version__, "plans": len(w.store.plans())}

    def evaluate(w: Worker, c: _Call) -> _handlers.Answer:
        c.query().done()
        return _handlers.evaluate(w, c.data, plans, now)

    def open_incident(w: Worker, c: _Call) -> _handlers.Answer:
        c.query().done()
        return _handlers.open_incident(w, c.data, plans, now, c.token.name)

    def record(w: Worker, c: _Call) -> _handlers.Answer:
        c.query().done()
        return _handlers.record(w, c.incident(), c.data, now, c.token.name)

    def show(w: Worker, c: _Call) -> _handlers.Answer:
        return _handlers.show(w, c.incident(), c.query(), now)

    def timeline(w: Worker, c: _Call) -> _handlers.Answer:
        return _handlers.timeline(w, c.incident(), c.query())

    def audit(w: Worker, c: _Call) -> _handlers.Answer:
        return _handlers.audit(w, c.query())

    def agenda(w: Worker, c: _Call) -> _handlers.Answer:
        return _handlers.agenda(w, c.query(), now)

    def agenda_ics(w: Worker, c: _Call) -> _handlers.Answer:
        return _handlers.agenda_ics(w, c.query(), now)

    def held(_: Worker, c: _Call) -> _handlers.Answer:
        c.query().done()
        return 200, _handlers.plans_held(plans)

    def openapi(_: Worker, c: _Call) -> _handlers.Answer:
        c.query().done()
        return 200, openapi_document()

    def get(path: str, job: _Job) -> Route:
        return Route(path, _endpoint(service, job), methods=["GET"])

    def post(path: str, job: _Job, expected: str, *, write: bool = True) -> Route:
        endpoint = _endpoint(service, job, body=expected, write=write)
        return Route(path, endpoint, methods=["POST"])

    return [
        get("/v1/health", health),
        get("/v1/openapi.json", openapi),
        get("/v1/plans", held),
        post(
            "/v1/evaluate",
            evaluate,
            'an object {"plan": ..., "incident": {...}, "at": ...}',
            write=False,  # evaluates what it is sent, and stores nothing
        ),
        post("/v1/incidents", open_incident, 'an object {"id": ..., "plan": ..., ...}'),
        get("/v1/incidents/{incident_id}", show),
        post("/v1/incidents/{incident_id}/entries", record, _ENTRY_EXPECTED),
        get("/v1/incidents/{incident_id}/timeline", timeline),
        get("/v1/audit", audit),
        get("/v1/agenda", agenda),
        get("/v1/agenda.ics", agenda_ics),
    ]


def _endpoint(
    service: _Service, job: _Job, *, body: str | None = None, write: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        token: Token = request.scope[_SCOPE_KEY]
        if write and not token.writes:
            problem = HTTPProblem(
                403,
                f"token {token.name!r} is read-only; expected a read-write (rw) token for a write",
            )
            return _json(403, error_body(problem))
        try:
            data = None
            if body is not None:
                data = parse_body(await _body(request, service.max_body), body)
            call = _Call(request, data, token)
            status, answer = await service.workers.run(lambda w: job(w, call))
        except HTTPProblem as exc:
            return _json(exc.status, error_body(exc), dict(exc.headers))
        except OpinionRulesError as exc:
            return _json(status_of(exc), error_body(exc))
        except Exception:
            logger.exception("%s %s failed", request.method, request.url.path)
            problem = HTTPProblem(500, "the service failed; its log says why", type="InternalError")
            return _json(500, error_body(problem))
        if isinstance(answer, _handlers.Raw):
            headers = {"Cache-Control": "no-store"}
            return Response(
                answer.body, status_code=status, media_type=answer.media_type, headers=headers
            )
        return _json(status, answer)

    return endpoint


async def _body(request: Request, limit: int) -> bytes:
    media = request.headers.get("content-type", "")
    kind, _, params = media.partition(";")
    charset = params.strip().lower().removeprefix("charset=").strip('"') if params else "utf-8"
    if kind.strip().lower() != "application/json" or charset != "utf-8":
        raise HTTPProblem(
            415,
            f"content type {media or '(none)'!r} is not JSON; expected application/json (UTF-8)",
        )
    too_large = HTTPProblem(413, f"the body is larger than {limit} bytes; expected at most that")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _json(status: int, data: object, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return Response(
        text.encode(),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


async def _http_exception(_: Request, exc: HTTPException) -> Response:
    # Starlette's own answers (no such path, method not allowed) as JSON.
    what = {404: "no such endpoint", 405: "method not allowed"}.get(exc.status_code, exc.detail)
    problem = HTTPProblem(exc.status_code, f"{what}; see GET /v1/openapi.json")
    return _json(exc.status_code, error_body(problem), dict(exc.headers or {}))


class _Authenticate:
    """
    Refuse every HTTP request without a valid bearer token (401), before
    routing; the token found is kept in the scope for the endpoint.
    """

    def __init__(self, app: ASGIApp, tokens: Tokens) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, rest = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer":
                    given = rest.strip()
        token = None if given is None else self.tokens.find(given)
        if token is None:
            if given is None:
                message = (
                    "no bearer token; expected the header 'Authorization: Bearer TOKEN' with a "
                    "token from the service's token file"
                )
                challenge = _WWW_AUTHENTICATE
            else:
                message = "the bearer token is not one of the service's tokens"
                challenge = f'{_WWW_AUTHENTICATE}, error="invalid_token"'
            problem = HTTPProblem(401, message)
            response = _json(401, error_body(problem), {"WWW-Authenticate": challenge})
            await response(scope, receive, send)
            return
        scope[_SCOPE_KEY] = token
        await self.app(scope, receive, send)
