"""Name -> object tables, one per kind of thing the library can be extended with.

Every kind the library knows by name -- layers (activations included), losses, optimisers,
schedules, initialisers, datasets, languages -- has exactly one :class:`Registry`. The rest of the
library *asks the registry* (and then the object) instead of keeping its own list of names: the
command line builds its choices from it, ``bp.mlp`` and the spec look activations up in it, the
file reader rebuilds layers from it, and the tests run from it (a completeness test fails when
an entry has no test case).

Adding something is one class and one call::

    @bp.register_activation
    class Swish(bp.Activation): ...

This module sits at the very bottom of the package: it imports nothing from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """One kind's table: canonical names, optional aliases, lookups with clear errors.

    Parameters
    ----------
    kind : str
        What the entries are, for messages (``"activation"``, ``"loss"``, ...).

    Examples
    --------
    >>> colours = Registry("colour")
    >>> colours.add("red", (255, 0, 0), aliases=("rouge",))
    (255, 0, 0)
    >>> colours["rouge"]
    (255, 0, 0)
    >>> colours.names()
    ['red']
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def add(self, name: str, entry: T, *, aliases: tuple[str, ...] = (),
            replace: bool = False) -> T:
        """Register ``entry`` under ``name`` (and ``aliases``); returns ``entry``.

        A name already taken by another entry is refused unless ``replace=True`` (registering the
        same entry again is harmless, so reloading a module does not fail).
        """
        if not isinstance(name, str) or not name or name != name.strip():
            raise ValueError(f"{self.kind} name must be a non-empty string without surrounding "
                             f"spaces, got {name!r}")
        for key in (name, *aliases):
            owner = self._aliases.get(key, key if key in self._entries else None)
            if owner is not None and self._entries[owner] is not entry and not replace:
                raise ValueError(f"{self.kind} name {key!r} is already registered "
                                 f"({self._entries[owner]!r}); pass replace=True to replace it")
        self._entries[name] = entry
        self._aliases.pop(name, None)
        for alias in aliases:
            self._aliases[alias] = name
        return entry

    def remove(self, name: str) -> None:
        """Forget ``name`` and its aliases (for tests that register temporary entries)."""
        canonical = self.canonical(name)
        del self._entries[canonical]
        for alias in [a for a, n in self._aliases.items() if n == canonical]:
            del self._aliases[alias]

    def canonical(self, name: str) -> str:
        """The registered name that ``name`` (a name or an alias) stands for."""
        if isinstance(name, str):
            if name in self._entries:
                return name
            if name in self._aliases:
                return self._aliases[name]
        known = ", ".join(self.names())
        raise ValueError(f"unknown {self.kind} {name!r}; known: {known}")

    def __getitem__(self, name: str) -> T:
        return self._entries[self.canonical(name)]

    def get(self, name: str, default: Any = None) -> T | Any:
        try:
            return self[name]
        except ValueError:
            return default

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._entries or name in self._aliases)

    def names(self, *, aliases: bool = False) -> list[str]:
        """Canonical names in registration order (and the aliases after them, if asked)."""
        out = list(self._entries)
        return out + list(self._aliases) if aliases else out

    def items(self) -> list[tuple[str, T]]:
        return list(self._entries.items())

    def values(self) -> list[T]:
        return list(self._entries.values())

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def name_of(self, entry: T) -> str | None:
        """The canonical name ``entry`` is registered under (None if it is not)."""
        for name, value in self._entries.items():
            if value is entry:
                return name
        return None

    def decorator(self, name_attr: str = "name") -> Callable[..., Any]:
        """A class decorator registering the class under its ``name_attr`` attribute (and its
        ``aliases`` attribute, if any); usable bare or with ``replace=True``."""

        def register(cls: Any = None, *, replace: bool = False) -> Any:
            def apply(c: Any) -> Any:
                self.add(getattr(c, name_attr), c, aliases=tuple(getattr(c, "aliases", ())),
                         replace=replace)
                return c

            return apply if cls is None else apply(cls)

        return register

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"
