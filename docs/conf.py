"""
Sphinx configuration of the documentation site.

Build it strictly (every warning, broken link or unresolved reference is an
error), as ``.ci/run`` does::

    python -m sphinx -W --keep-going -n -q -b html docs docs/_build/html

and serve it locally with ``python -m http.server -d docs/_build/html``
(the README's command does both).

The pages are the Markdown files under docs/ (MyST), unchanged: GitHub shows
the same files.  The navigation is built here from docs/index.md, so a new
page needs no entry in this file (see ``_navigation``).
"""

from __future__ import annotations

import importlib
import logging
import re
import sys
from pathlib import Path
from typing import Any

from sphinx.util.nodes import make_refnode


DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent / "src"))
sys.path.insert(0, str(DOCS / "_ext"))

from opinion_rules import __version__  # noqa: E402


project = "opinion_rules"
author = "opinion_rules contributors"
copyright = "opinion_rules contributors"  # noqa: A001 - Sphinx's name
release = __version__
version = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "public_api",
]

root_doc = "index"
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_ext"]
# Every reference must resolve: a broken page link, a missing #anchor or a
# docstring naming a class that does not exist is an error under -W.
nitpicky = True

# -- Markdown (MyST) ------------------------------------------------------------
# Headings get GitHub's anchors, so `page.md#2-measure-windows` works on
# GitHub and on the site, and a missing anchor is an error here.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence"]

# -- API reference from the docstrings ----------------------------------------------
# The docstrings are Napoleon (Google) style with reST roles and
# ``.. versionadded::``, so autodoc renders them as written.
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_class_signature = "separated"
autodoc_default_options = {"show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# No intersphinx (the build runs offline): names of the standard library and
# of other packages in signatures are plain text, not links.
nitpick_ignore_regex = [
    ("py:.*", r"(datetime|collections\.abc|typing|types|pathlib|os|enum|decimal|zoneinfo|io)\..*"),
    ("py:.*", r"(attrs|attr|pluggy|starlette|uvicorn|psycopg|icalendar|packaging)(\..*)?"),
    ("py:.*", r"(sqlite3|contextlib|PluginManager|HookimplMarker)(\..*)?"),
    # Private names (a part starting with "_") are undocumented on purpose: they may
    # change in any release (docs/reference/api.md).  Public signatures that show one
    # print it as plain text.
    ("py:.*", r"(.*\.)?_[^.]*(\..*)?"),
    # Docstrings naming what no public module exports (type aliases, a private
    # loader, attrs fields described in their class's docstring); each is listed,
    # so a new unresolved name still fails the build.
    ("py:class", r"Status|EntryKind|FactValue"),
    ("py:func", r"load_plan_file"),
    ("py:data", r"FESTIVALS"),
    ("py:meth", r"is_working_day"),
    ("py:attr", r"Plan\.routings|Plan\.routing_mode|Action\.duty|version"),
    (
        "py:class",
        (
            r"Any|Callable|Iterable|Iterator|Mapping|Sequence|Path|datetime|date|time|timedelta"
            r"|tzinfo|ZoneInfo|Decimal|Enum|Self|Literal|TypeAlias|Protocol|NoneType|Exception"
            r"|ValueError|KeyError|LookupError|ModuleType|object|bytes|str|int|float|bool|dict"
            r"|list|tuple|set|frozenset|type"
        ),
    ),
]

# -- HTML ---------------------------------------------------------------------
# Furo: a maintained, accessible theme with the built-in search in its sidebar;
# no fonts or scripts are fetched from the network, so the site works offline.
html_theme = "furo"
html_title = f"opinion_rules {release}"
html_static_path: list[str] = []
html_copy_source = False
# Search in Chinese and English: Sphinx's Chinese splitter (jieba) also
# stems the English words.
html_search_language = "zh"
try:
    import jieba

    jieba.setLogLevel(logging.WARNING)  # not its dictionary-loading chatter
except ImportError:  # pragma: no cover - the docs extra installs it
    pass
language = "en"


def _navigation(app: Any, docname: str, source: list[str]) -> None:
    """
    Give the landing page a hidden table of contents per section.

    Each section lists the pages docs/index.md links under its heading, in
    that order, then every other page of the section's folder (so a new page
    is on the site even before index.md links it).
    """
    if docname != root_doc:
        return
    sections = {
        "Tutorials": "tutorial",
        "How-to guides": "how-to",
        "Reference": "reference",
        "Explanation": "explanation",
    }
    text = source[0]
    toctrees = []
    for heading, folder in sections.items():
        match = re.search(
            rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL
        )
        linked = re.findall(
            rf"\]\(({re.escape(folder)}/[^)#]+)\.md\)", match.group(1) if match else ""
        )
        # Pages of the folder, and the landing page (index.md) of each subfolder.
        pages = sorted(DOCS.glob(f"{folder}/*.md")) + sorted(DOCS.glob(f"{folder}/*/index.md"))
        found = [page.relative_to(DOCS).with_suffix("").as_posix() for page in pages]
        entries = list(dict.fromkeys([*linked, *found]))
        toctrees.append(
            f"\n```{{toctree}}\n:hidden:\n:caption: {heading}\n\n" + "\n".join(entries) + "\n```\n"
        )
    source[0] = text + "".join(toctrees)


_ATTRIBUTE_DOCS: dict[str, list[str]] = {}


def _keep_attribute_doc(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """
    Before Napoleon: remember an attribute's or property's docstring as written.

    Napoleon reads "The duty as stated: the built-in one" in a property's
    docstring as type "The duty as stated"; ours never give types there (the
    annotations do), so the docstring is put back after Napoleon ran.
    """
    if what in {"attribute", "property", "data"}:
        _ATTRIBUTE_DOCS[name] = list(lines)


def _restore_attribute_doc(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """
    After Napoleon: put back the docstring ``_keep_attribute_doc`` remembered.
    """
    if name in _ATTRIBUTE_DOCS:
        lines[:] = _ATTRIBUTE_DOCS.pop(name)


def _short_reference(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """
    Resolve a short name (``Incident``, ``CaseStore.agenda``) to the one object it names.

    Docstrings name classes as a reader says them; Sphinx looks only in the
    current module.  A name that ends exactly one documented object's dotted
    name (or the one nearest the referring class or module) links there; any
    other stays unresolved and fails the build.
    """
    if node.get("refdomain") != "py":
        return None
    objects = env.get_domain("py").objects
    published = _published(node["reftarget"].lstrip(".~"))
    if published in objects:
        entry = objects[published]
        return make_refnode(
            app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, published
        )
    target = node["reftarget"].lstrip(".~").removeprefix("opinion_rules.")
    found = [name for name in objects if name == target or name.endswith("." + target)]
    for scope in (node.get("py:class"), node.get("py:module")):
        if len(found) > 1 and scope:
            near = [name for name in found if f".{scope}." in f".{name}"]
            found = near or found
    if len(found) != 1:
        return None
    entry = objects[found[0]]
    return make_refnode(
        app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, found[0]
    )


def _published(target: str) -> str:
    """
    Where ``opinion_rules.typing.WorkingCalendar`` is described: the module its
    ``__module__`` names (``opinion_rules.calendars.WorkingCalendar``).
    """
    module, _, member = target.rpartition(".")
    if not module.startswith("opinion_rules"):
        return target
    try:
        obj = getattr(importlib.import_module(module), member)
    except (ImportError, AttributeError):
        return target
    return f"{getattr(obj, '__module__', module)}.{member}"


def setup(app: Any) -> dict[str, Any]:
    app.connect("source-read", _navigation)
    app.connect("autodoc-process-docstring", _keep_attribute_doc, priority=400)
    app.connect("autodoc-process-docstring", _restore_attribute_doc, priority=600)
    app.connect("missing-reference", _short_reference)
    return {"parallel_read_safe": True}
