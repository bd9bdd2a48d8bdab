"""What every command shares: its errors, its argument types, how a subcommand is
declared, and the checks made before any work (corpus, Kafka access, --out)."""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


class CliError(Exception):
    """An error the user can act on; shown without a traceback."""


# -- argument types -----------------------------------------------------------------


def positive_number(text: str) -> float:
    """An argparse type: a finite number above zero."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number above 0, not {text!r}")
    return value


def positive_integer(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, not {text!r}")
    return value


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 1 to 65535."""
    value = positive_integer(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be a port, 1 to 65535, not {text!r}")
    return value


def command(
    commands: Any,
    name: str,
    handler: Handler | None,
    help_text: str,
    description: str,
) -> argparse.ArgumentParser:
    """A subcommand; ``handler`` None for one whose actions carry their own."""
    sub: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help_text,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if handler is not None:
        sub.set_defaults(handler=handler)
    return sub


def say(message: str) -> None:
    """Progress and summaries go to stderr; stdout carries only results."""
    print(message, file=sys.stderr)


@contextmanager
def kafka_access(settings: Settings) -> Iterator[None]:
    """Settings that name no valid broker address or topic, a refused or unreachable
    broker and a missing topic become one line and exit status 2.

    The settings are checked on entry, before any client is made: aiokafka retries an
    invalid topic name forever and fails on a malformed address with a traceback.
    """
    from pipeline.clients.kafka import KafkaAccessError, check_bootstrap_servers
    from pipeline.clients.tail import MissingTopicError
    from pipeline.topics import TopicNameError, check_topic_names

    try:
        check_bootstrap_servers(settings)
        check_topic_names(settings)
        yield
    except (KafkaAccessError, TopicNameError, MissingTopicError) as error:
        raise CliError(str(error)) from error


def corpus(paths: Sequence[Path]) -> list[Path]:
    """The paths, once known to exist and to hold corpus files: before any work."""
    from pipeline.clients.corpus import require_corpus_files

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CliError(f"no such file or folder: {', '.join(missing)}")
    with corpus_access():
        require_corpus_files(paths)
    return list(paths)


@contextmanager
def corpus_access() -> Iterator[None]:
    """A corpus file that cannot be read becomes one line naming it."""
    from pipeline.clients.corpus import CorpusError

    try:
        yield
    except CorpusError as error:
        raise CliError(str(error)) from error


def output_folder(path: Path) -> Path:
    """``--out``, created if missing, once a file can be written in it."""
    if path.exists() and not path.is_dir():
        raise CliError(f"--out {path} is a file; give a folder (made if missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        # Permission bits say little (root ignores them, a read-only mount does not):
        # writing a file is the test that holds.
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise CliError(
            f"cannot write to --out {path}: {reason}; give a writable folder"
        ) from error
    return path
