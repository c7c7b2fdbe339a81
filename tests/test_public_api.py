"""
The public surface: sorted, importable, documented.
"""

from __future__ import annotations

import inspect

import opinion_rules


def test_all_is_sorted_and_importable():
    """__all__ is sorted (constants, classes, then functions) and every name in it exists."""
    names = opinion_rules.__all__

    assert sorted(names, key=lambda n: (not n.isupper(), not n[:1].isupper(), n)) == names
    assert all(hasattr(opinion_rules, name) for name in names)


def test_every_public_callable_is_documented():
    """Every public class and function has a docstring."""
    undocumented = [
        name
        for name in opinion_rules.__all__
        if (inspect.isclass(obj := getattr(opinion_rules, name)) or inspect.isfunction(obj))
        and not inspect.getdoc(obj)
    ]

    assert [] == undocumented


def test_package_is_typed():
    """The package ships the PEP 561 marker."""
    from importlib import resources

    assert resources.files("opinion_rules").joinpath("py.typed").is_file()
