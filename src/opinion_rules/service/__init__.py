"""
The HTTP service: the case store and the plans it holds, behind versioned
JSON endpoints (``/v1/...``) with bearer tokens, for systems that are not
written in Python.  ``opinion-rules serve`` runs it; the reference is
``docs/reference/http-api.md``.

Needs the ``service`` extra: ``pip install 'opinion-rules[service]'``
(Starlette and uvicorn).
"""

try:
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - the extra is installed for the tests
    raise ModuleNotFoundError(
        f"opinion_rules.service needs the service extra: pip install 'opinion-rules[service]' "
        f"({exc.name} is not installed)",
        name=exc.name,
    ) from exc

from opinion_rules._public import publish
from opinion_rules.service._app import DEFAULT_MAX_BODY, create_app
from opinion_rules.service._run import serve
from opinion_rules.service._tokens import new_token_file


__all__ = ["DEFAULT_MAX_BODY", "create_app", "new_token_file", "serve"]

publish(__name__, globals(), __all__)
