"""The ``backprop`` command line: one module per command, one table of commands.

* :mod:`.app` -- the table (:data:`~.app.COMMANDS`), the parser and :func:`main`, which turns
  every error into one line on stderr and an exit status;
* :mod:`.common` -- what several commands share (reading a spec, writing output, JSON);
* one module per command: :mod:`.example`, :mod:`.gradcheck`, :mod:`.chain`, :mod:`.check`,
  :mod:`.train`, :mod:`.lab`, :mod:`.report`, :mod:`.export`. Each has ``add_arguments(parser)`` and
  ``run(args) -> exit status``.

Adding a command is one module and one row in the table.
"""

from .app import COMMANDS, EXIT_FAILED, EXIT_OK, EXIT_USAGE, Command, build_parser, main

__all__ = ["COMMANDS", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "Command", "build_parser", "main"]
