"""
The plug-ins a host enables, and what they provide.

Nothing is loaded unless the host asks: an entry point of the group
``opinion_rules.plugins`` is imported only when its name is passed
(``Engine(plan, plugins=["guangxi-rules"])``, ``--plugin guangxi-rules``);
modules and objects passed directly are registered as they are.  A plan
file never names code: it says which plug-ins it requires, and loading it
fails with a located error when they are not enabled.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from importlib import metadata
from types import ModuleType
from typing import Any

import attrs
import pluggy

from opinion_rules._suggest import expected_names
from opinion_rules.exceptions import PluginError
from opinion_rules.model._extending import Aggregation, Function
from opinion_rules.model._findings import Finding
from opinion_rules.model._plan import Plan
from opinion_rules.plugins import _hookspecs
from opinion_rules.time._calendars import WorkingCalendar


__all__ = ["ENTRY_POINT_GROUP", "LISTENER_HOOKS", "Enabled", "PluginSet", "plugin_set"]

#: The entry-point group plug-in packages register under.
ENTRY_POINT_GROUP = "opinion_rules.plugins"
#: The hooks the case store calls after a committed write.
LISTENER_HOOKS = ("opinion_rules_assessed", "opinion_rules_action_changed")


@attrs.frozen
class Enabled:
    """
    One enabled plug-in: its name and version (``""`` when it states none).
    """

    name: str
    version: str


class PluginSet:
    """
    Enabled plug-ins and what they provide: functions, aggregations and
    calendars by name, each with the plug-in that provides it.

    Build it once and share it: the provide-hooks run once, here.

    Raises:
        PluginError: an unknown entry-point name, a plug-in that cannot be
            imported or registered, a hook that raises or returns something
            else than its contract says, or two plug-ins providing one name.

    .. versionadded:: 0.6.0
    """

    def __init__(self, plugins: Iterable[str | ModuleType | object] = ()) -> None:
        self._manager = pluggy.PluginManager(_hookspecs.PROJECT)
        self._manager.add_hookspecs(_hookspecs)
        self.enabled: tuple[Enabled, ...] = ()
        for plugin in plugins:
            self._enable(plugin)
        self.functions: Mapping[str, tuple[Function, str]] = self._provided(
            "opinion_rules_functions", Function
        )
        self.aggregations: Mapping[str, tuple[Aggregation, str]] = self._provided(
            "opinion_rules_measures", Aggregation
        )
        self.calendars: Mapping[str, tuple[WorkingCalendar, str]] = self._provided(
            "opinion_rules_calendars", WorkingCalendar
        )

    def __repr__(self) -> str:
        names = ", ".join(f"{p.name} {p.version}".strip() for p in self.enabled)
        return f"<PluginSet [{names}]>"

    def version_of(self, name: str) -> str | None:
        """
        The version of enabled plug-in *name*, or ``None`` if it is not enabled.
        """
        return next((p.version for p in self.enabled if p.name == name), None)

    @property
    def listens(self) -> bool:
        """
        Whether an enabled plug-in implements a listener hook
        (``opinion_rules_assessed`` or ``opinion_rules_action_changed``).

        .. versionadded:: 0.6.0
        """
        return any(getattr(self._manager.hook, hook).get_hookimpls() for hook in LISTENER_HOOKS)

    # -- enabling --

    def _enable(self, plugin: str | ModuleType | object) -> None:
        if isinstance(plugin, str):
            name, version, obj = _entry_point(plugin)
        else:
            obj = plugin
            name = str(
                getattr(plugin, "opinion_rules_name", None)
                or getattr(plugin, "__name__", None)
                or type(plugin).__name__
            )
            version = str(getattr(plugin, "__version__", "") or "")
        if self.version_of(name) is not None:
            raise PluginError(name, "load", "enabled twice")
        try:
            self._manager.register(obj, name=name)
            self._manager.check_pending()
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise PluginError(name, "load", str(exc)) from exc
        self.enabled = (*self.enabled, Enabled(name, version))

    # -- calling hooks --

    def call(self, hook: str, item: str | None = None, **kwargs: Any) -> list[tuple[str, Any]]:
        """
        Call *hook* on every enabled plug-in, in the order they were
        enabled, each with the arguments its implementation names; return
        ``(plug-in, result)`` pairs.

        Raises:
            PluginError: naming the plug-in, the hook and *item* when an
                implementation raises.
        """
        out = []
        caller = getattr(self._manager.hook, hook)
        # get_hookimpls() lists them in the order enabled (pluggy's calls run last-first).
        for impl in caller.get_hookimpls():
            name = impl.plugin_name
            # As pluggy does: an implementation takes the arguments it names.
            arguments = {k: kwargs[k] for k in impl.argnames if k in kwargs}
            try:
                out.append((name, impl.function(**arguments)))
            except Exception as exc:
                raise PluginError(name, hook, f"raised {type(exc).__name__}: {exc}", item) from exc
        return out

    def _provided(self, hook: str, kind: Any) -> dict[str, tuple[Any, str]]:
        found: dict[str, tuple[Any, str]] = {}
        for plugin, result in self.call(hook):
            if result is None:
                continue
            items = list(result) if isinstance(result, Iterable) else [result]
            for item in items:
                if not isinstance(item, kind) or not isinstance(getattr(item, "name", None), str):
                    raise PluginError(
                        plugin,
                        hook,
                        f"returned {item!r}, not a {getattr(kind, '__name__', kind)}",
                    )
                if item.name in found:
                    raise PluginError(
                        plugin,
                        hook,
                        f"{item.name!r} is also provided by plug-in {found[item.name][1]!r}",
                    )
                found[item.name] = (item, plugin)
        return found

    def lint(self, plan: Plan) -> Iterator[Finding]:
        """
        The findings every enabled plug-in adds for ``check``.
        """
        for plugin, result in self.call("opinion_rules_lint", plan.id, plan=plan):
            for finding in result or ():
                if not isinstance(finding, Finding):
                    raise PluginError(
                        plugin, "opinion_rules_lint", f"returned {finding!r}, not a Finding"
                    )
                yield finding


def plugin_set(plugins: PluginSet | Iterable[str | ModuleType | object] | None) -> PluginSet:
    """
    *plugins* as a :class:`PluginSet` (built when given as a list).
    """
    if isinstance(plugins, PluginSet):
        return plugins
    return PluginSet(() if plugins is None else plugins)


def _entry_point(name: str) -> tuple[str, str, object]:
    """
    Load the entry point *name* of :data:`ENTRY_POINT_GROUP`: its object and
    the version of the distribution that provides it.
    """
    points = {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    point = points.get(name)
    if point is None:
        installed = sorted(points)
        raise PluginError(
            name,
            "load",
            f"no installed package provides the plug-in (entry-point group "
            f"{ENTRY_POINT_GROUP!r}); installed: {expected_names(name, installed)}",
        )
    try:
        obj = point.load()
    except Exception as exc:
        raise PluginError(name, "load", f"cannot be imported: {type(exc).__name__}: {exc}") from exc
    # The distribution's version is what 'requires' compares, as pip shows it.
    version = point.dist.version if point.dist is not None else ""
    return name, str(version or getattr(obj, "__version__", "") or ""), obj
