"""
The ``public-module`` directive: one public module's reference from its docstrings.

``{public-module} opinion_rules.conditions`` documents the module's docstring
and every name of its ``__all__`` whose public address (``__module__``) is
that module; a name published by another public module (the top level's
``Engine`` is ``opinion_rules.engine.Engine``) is a link to its place, so
each object is described once.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


class PublicModule(SphinxDirective):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        module = importlib.import_module(name)
        self.env.note_dependency(inspect.getfile(module))
        rst = [f".. automodule:: {name}", ""]
        elsewhere = []
        for member in module.__all__:
            obj = getattr(module, member)
            if inspect.ismodule(obj):
                elsewhere.append(f"* :py:mod:`{obj.__name__}`")
                continue
            home = _home(obj, member, name)
            if home != name:
                elsewhere.append(f"* :py:obj:`{member} <{home}.{member}>`")
            elif inspect.isclass(obj):
                rst += [f".. autoclass:: {name}.{member}", "   :members:", *_inherited(obj), ""]
            elif callable(obj):
                rst += [f".. autofunction:: {name}.{member}", ""]
            else:
                rst += [f".. autodata:: {name}.{member}", "   :annotation:", ""]
        if elsewhere:
            rst += [".. rubric:: Also here, described where they are published", "", *elsewhere, ""]
        text = "```{eval-rst}\n" + "\n".join(rst) + "\n```\n"
        container = nodes.container()
        lines = StringList(text.splitlines(), source=self.get_source_info()[0])
        self.state.nested_parse(lines, self.content_offset, container)
        return container.children


def _home(obj: Any, member: str, name: str) -> str:
    """
    The public module that describes *obj*: its ``__module__`` if that module
    lists it in ``__all__``, else *name* (the module being documented).
    """
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        return name
    home = obj.__module__
    if home == name or not home.startswith("opinion_rules") or _private(home):
        return name
    return home if member in getattr(importlib.import_module(home), "__all__", ()) else name


def _ours_private(cls: type) -> bool:
    return cls.__module__.startswith("opinion_rules") and _private(cls.__module__)


def _private(module: str) -> bool:
    return any(part.startswith("_") for part in module.split("."))


def _inherited(cls: type) -> list[str]:
    """
    The members a class gets from private base classes are its own public
    interface (``CaseStore`` is built from mixins): show them, and stop at
    every other base.
    """
    bases = cls.__mro__[1:]
    stop = [base.__name__ for base in bases if not _ours_private(base)]
    if len(stop) == len(bases):
        return []
    return [f"   :inherited-members: {', '.join(stop)}"]


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("public-module", PublicModule)
    return {"parallel_read_safe": True}
