"""What every lab shares: the :class:`Lab` entry and its command-line options, the checks of the
settings every lab takes (``seed``, ``lang``, ``out``, the dataset) and the number formats of the
tables and readings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import check_int
from ..data.toy import DATASETS
from ..explain.words import LANGUAGES, words


def _dataset(name: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}")
    return DATASETS[name](check_int("n_samples", n, minimum=8), rng=seed)


def _seed(seed: Any) -> int:
    return check_int("seed", seed, minimum=0)


def _lang(lang: Any) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {tuple(LANGUAGES.names())}, got {lang!r}")
    return lang


def _out_dir(out: str | Path | None) -> Path | None:
    if out is None:
        return None
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _sci(x: float) -> str:
    """A ratio as a readable power of ten: 1.3e-17, 0.35, 12."""
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if 1e-2 <= abs(x) < 1e3:
        return f"{x:.2g}"
    return f"{x:.1e}"


def _cell(x: float | None, fmt: str = ".2e") -> str:
    """A number for a table, ``-`` where there is none."""
    return "-" if x is None or not math.isfinite(x) else format(x, fmt)


def _percent(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{100 * x:.1f}%"


def _and(items: list[str], lang: str) -> str:
    """``a, b and c`` in ``lang``."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {words(lang)['lab_and']} " + items[-1]


#: the deepest network a lab builds (a lab is a demonstration: a deeper one is a typo, and its
#: layer-by-layer build would run for ages before memory ran out)
MAX_DEPTH = 1000


def int_list(text: str) -> tuple[int, ...]:
    """``"64,64"`` -> ``(64, 64)`` (a command-line option's value)."""
    try:
        return tuple(int(x) for x in str(text).split(",") if x.strip())
    except ValueError:
        raise ValueError(f"expected whole numbers separated by commas, got {text!r}") from None


def float_list(text: str) -> tuple[float, ...]:
    """``"0,1e-3,0.01"`` -> ``(0.0, 0.001, 0.01)`` (a command-line option's value)."""
    try:
        return tuple(float(x) for x in str(text).split(",") if x.strip())
    except ValueError:
        raise ValueError(f"expected numbers separated by commas, got {text!r}") from None


@dataclass(frozen=True)
class LabOption:
    """One setting of a lab that the command line offers as ``--name`` (underscores become
    dashes); ``parse`` turns the text into the lab's argument. The default is the lab
    function's own."""

    name: str
    help: str
    parse: Any = int


@dataclass(frozen=True)
class Lab:
    """One lab: its function and what the command line says about it.

    Every lab takes ``seed``, ``out`` and ``lang``; ``options`` are its own settings, each a
    keyword argument of ``run``.
    """

    name: str
    run: Any
    help: str
    description: str
    options: tuple[LabOption, ...] = ()

    def default(self, option: LabOption) -> Any:
        """The default of ``option``: the lab function's own."""
        import inspect

        return inspect.signature(self.run).parameters[option.name].default
