"""The ``newsline`` command: its parser, its settings and its exit statuses. Each
subcommand is a module of ``commands``; what they share is in ``common``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from pydantic import BaseModel, ValidationError
from pydantic_settings import SettingsError

from pipeline.cli import commands as commands_of
from pipeline.cli.common import CliError, Handler
from pipeline.cli.supervise import Terminated
from pipeline.settings import Settings, get_settings

EPILOG = """\
Settings come from the environment (NEWSLINE_...); some options override one for a
single run. Every setting is listed in README "Settings". Connection:
NEWSLINE_KAFKA_BOOTSTRAP_SERVERS (default 127.0.0.1:9092),
NEWSLINE_KAFKA_SECURITY_PROTOCOL, NEWSLINE_KAFKA_SASL_*.

A first session:
  newsline broker start            # a local Apache Kafka (KRaft) on 127.0.0.1:9092
  newsline run seeds/              # worker + replay + summary of what came out
  newsline tail articles.enriched --from-beginning --limit 5
  newsline extract seeds/ --out out/   # the same stages, no broker
  newsline serve                   # the page and the API at http://127.0.0.1:8000/
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``newsline`` command; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, or a usage error already printed
        return stop.code if isinstance(stop.code, int) else 2
    handler: Handler = args.handler
    try:
        return handler(args, _settings())
    except KeyboardInterrupt:
        return 130
    except Terminated as stop:
        print(f"newsline: {stop}", file=sys.stderr)
        return 128 + stop.signum
    except CliError as error:
        print(f"newsline: {error}", file=sys.stderr)
        return 2


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line that says where the usage is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


# -- settings -----------------------------------------------------------------------


def _settings() -> Settings:
    """The settings, or CliError with one line per invalid environment variable."""
    try:
        return get_settings()
    except ValidationError as error:
        raise CliError("\nnewsline: ".join(describe_invalid_settings(error))) from None
    except SettingsError as error:  # a nested group given as malformed JSON
        raise CliError(f"invalid settings: {error}; see README, Settings") from None


def describe_invalid_settings(error: ValidationError) -> list[str]:
    """One line per invalid setting, named as its environment variable."""
    lines: dict[str, str] = {}
    for detail in error.errors(include_url=False):
        name = environment_name(detail["loc"])
        # Secrets are never echoed; other values are, briefly, to show what was read.
        given = "" if "PASSWORD" in name else f"={_brief(detail['input'])}"
        message = detail["msg"]
        lines.setdefault(
            name,
            f"invalid setting {name}{given}: {message[:1].lower()}{message[1:]}; "
            "fix or unset it",
        )
    return list(lines.values())


def environment_name(location: Sequence[int | str]) -> str:
    """The environment variable of a settings field, from a validation error's loc.

    Only field names count: a loc may go on into a union member or a list index.
    """
    config = Settings.model_config
    prefix = config.get("env_prefix") or ""
    delimiter = config.get("env_nested_delimiter") or "__"
    model: type[BaseModel] | None = Settings
    names: list[str] = []
    for part in location:
        if model is None or part not in model.model_fields:
            break
        names.append(str(part))
        inner = model.model_fields[str(part)].annotation
        model = (
            inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None
        )
    return prefix + delimiter.join(names).upper()


def _brief(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per job."""
    parser = _Parser(
        prog="newsline",
        description="Kafka-native news ingestion: clean, dedupe and enrich articles.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    for subcommand in commands_of.ALL:
        subcommand.add(commands)
    return parser


if __name__ == "__main__":
    sys.exit(main())
