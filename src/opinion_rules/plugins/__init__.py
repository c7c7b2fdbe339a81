"""
Plug-ins: the set of plug-ins a host enables and what they provide, and
the check that a plan's requirements and names are met by them.

The public names here are :class:`PluginSet` (build it once and share it
between engines and loads), :class:`Enabled` and :data:`ENTRY_POINT_GROUP`.
The hook specifications are in :mod:`opinion_rules.hookspecs`; the marker
plug-ins use is :data:`opinion_rules.hookimpl`.
"""

from opinion_rules.plugins._manager import ENTRY_POINT_GROUP, Enabled, PluginSet


__all__ = ["ENTRY_POINT_GROUP", "Enabled", "PluginSet"]
