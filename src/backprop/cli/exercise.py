"""``backprop exercise``: a different exercise sheet for every student, each with its key.

Without ``--output`` every sheet is printed, then every key (``--format json``: one JSON
document, a list of ``{"student", "seed", "sheet", "key"}``). With ``--output DIR`` each
student ``k`` (written with two digits at least, ``01``, as the key's text names it) gets,
in DIR:

* ``student-k.EXT`` -- the sheet (``.html``, ``.md``, ``.txt`` or ``.json``);
* ``student-k-key.EXT`` -- the key: the answers and the derivation (not with ``--format json``,
  where the key is the JSON key);
* ``student-k-key.json`` -- the key ``backprop check ANSWERS.json --spec student-k-key.json``
  reads as the reference;
* ``student-k-answers.json`` -- the numbers asked for, each ``null``: the form a student fills
  in (for a formula ``{"value": null, "grad": {"x": null, ...}}``).

DIR is checked before any work (a folder, or one that can be created; no file in it may be a
symbolic link, a folder or a device), and every file is written atomically.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .common import EXIT_OK, check_output_folder, check_outputs, emit, json_text

HELP = "a different exercise sheet for every student (forward, gradients, Adam, ...), with keys"

#: file extension of each format
EXTENSIONS = {"text": "txt", "markdown": "md", "html": "html", "json": "json"}
#: what separates two documents printed one after another
SEPARATORS = {"text": "\n" + "=" * 78 + "\n\n", "markdown": "\n---\n\n"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..explain.sheets import MAX_STUDENTS
    from ..explain.topics import TOPICS
    from ..explain.words import LANGUAGES

    p.add_argument("--topic", required=True, choices=TOPICS.names(), metavar="TOPIC",
                   help=f"what the sheet asks: {', '.join(TOPICS.names())}")
    p.add_argument("--students", type=int, default=1, metavar="N",
                   help=f"how many different sheets, 1 to {MAX_STUDENTS} (default: 1)")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="the same seed gives the same sheets and keys (default: 0)")
    p.add_argument("--lang", choices=sorted(LANGUAGES), default="en",
                   help="language of the sheets (default: en)")
    p.add_argument("--format", choices=tuple(EXTENSIONS), default="text",
                   help="text, Markdown with LaTeX, a self-contained HTML page per sheet (to "
                        "print), or JSON (default: text)")
    p.add_argument("--output", metavar="DIR",
                   help="write one file per sheet and per key into DIR (created if missing) "
                        "instead of printing them")


def files_of(folder: str | os.PathLike, student: int, fmt: str) -> dict[str, Path]:
    """The files one student gets in ``folder``: sheet, key (its format), JSON key, answers."""
    stem = Path(folder) / f"student-{student:02d}"
    ext = EXTENSIONS[fmt]
    out = {"sheet": stem.with_name(f"{stem.name}.{ext}"),
           "key_json": stem.with_name(f"{stem.name}-key.json")}
    if fmt != "json":
        out["key"] = stem.with_name(f"{stem.name}-key.{ext}")
    out["answers"] = stem.with_name(f"{stem.name}-answers.json")
    return out


def run(args: argparse.Namespace) -> int:
    from ..explain.sheets import MAX_SEED, MAX_STUDENTS, exercises
    from ..io import atomic_write_text

    if not 1 <= args.students <= MAX_STUDENTS:
        raise ValueError(f"--students must be between 1 and {MAX_STUDENTS}, got "
                         f"{args.students}")
    if not 0 <= args.seed <= MAX_SEED:
        raise ValueError(f"--seed must be between 0 and {MAX_SEED}, got {args.seed}")
    plan: dict[str, Path] = {}
    if args.output is not None:
        check_output_folder("--output", args.output)
        Path(args.output).mkdir(parents=True, exist_ok=True)
        for k in range(1, args.students + 1):
            for what, path in files_of(args.output, k, args.format).items():
                plan[f"--output ({what} of student {k})"] = path
        check_outputs(plan)
    sheets = exercises(args.topic, args.students, args.seed, args.lang)
    if args.output is None:
        if args.format == "json":
            emit(json_text([ex.to_dict() for ex in sheets]), None)
        elif args.format == "html":
            # one page: the sheets, then the keys, each printed from a new page
            from ..explain.document import Document
            from ..explain.page import write_page

            doc = Document()
            for ex in sheets:
                doc.blocks += ex.sheet.blocks
            for ex in sheets:
                doc.blocks += ex.key.blocks
            emit(write_page(doc, args.lang), None)
        else:
            sep = SEPARATORS[args.format]
            emit(sep.join([ex.sheet_as(args.format) for ex in sheets]
                          + [ex.key_as(args.format) for ex in sheets]), None)
        return EXIT_OK
    for ex in sheets:
        files = files_of(args.output, ex.student, args.format)
        atomic_write_text(files["sheet"], _line(ex.sheet_as(args.format)))
        if "key" in files:
            atomic_write_text(files["key"], _line(ex.key_as(args.format)))
        atomic_write_text(files["key_json"], _line(json_text(ex.key_json)))
        atomic_write_text(files["answers"], _line(json_text(ex.blank_answers())))
    return EXIT_OK


def _line(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"
