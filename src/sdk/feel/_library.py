"""Importing this module registers every built-in function (one module per family)."""

from __future__ import annotations

from . import _lib_core, _lib_list, _lib_number, _lib_string

FAMILIES = (_lib_core, _lib_list, _lib_number, _lib_string)
"""The modules whose import registered the built-ins."""
