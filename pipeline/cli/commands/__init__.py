"""One module per ``newsline`` subcommand: its options (``add``) and its handler.

Each handler imports what it runs when it runs, so that ``newsline --help`` and a
usage error stay quick.
"""

from pipeline.cli.commands import broker, extract, replay, run, serve, tail, worker

#: In the order ``newsline --help`` lists them.
ALL = (broker, worker, replay, tail, extract, run, serve)

__all__ = ["ALL"]
