"""The ``newsline`` command: broker, worker, replay, tail, extract, run."""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from pydantic import BaseModel, ValidationError
from pydantic_settings import SettingsError

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
"""

Handler = Callable[[argparse.Namespace, Settings], int]


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


class CliError(Exception):
    """An error the user can act on; shown without a traceback."""


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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per job."""
    parser = _Parser(
        prog="newsline",
        description="Kafka-native news ingestion: clean, dedupe and enrich articles.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    _add_broker(commands)
    _add_worker(commands)
    _add_replay(commands)
    _add_tail(commands)
    _add_extract(commands)
    _add_run(commands)
    return parser


def _command(
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


# -- broker -------------------------------------------------------------------------


def _add_broker(commands: Any) -> None:
    broker = _command(
        commands,
        "broker",
        None,
        "run a local single-node Apache Kafka (KRaft)",
        "Start, stop or check a local Apache Kafka broker run from jars that Maven\n"
        "resolves (needs java and mvn). For an existing cluster set\n"
        "NEWSLINE_KAFKA_BOOTSTRAP_SERVERS instead; with Docker use\n"
        "deploy/compose.yaml.",
    )
    actions = broker.add_subparsers(title="actions", required=True, metavar="ACTION")
    for name, handler, text in (
        ("start", _broker_start, "start in the background; wait until it answers"),
        ("stop", _broker_stop, "stop it (SIGTERM, then SIGKILL after 30 s)"),
        (
            "status",
            _broker_status,
            "say whether a broker answers on the port, and whether it is the data "
            "dir's (exit 0 if one answers)",
        ),
    ):
        action = _command(actions, name, handler, text, text)
        action.add_argument(
            "--data-dir",
            type=Path,
            help="logs, config and pid (NEWSLINE_BROKER__DATA_DIR; var/broker)",
        )
        action.add_argument(
            "--port",
            type=port_number,
            help="client port on 127.0.0.1 (env NEWSLINE_BROKER__PORT; default 9092)",
        )


def _broker_settings(args: argparse.Namespace, settings: Settings) -> Any:
    overrides = {
        key: value
        for key, value in (("data_dir", args.data_dir), ("port", args.port))
        if value is not None
    }
    return settings.broker.model_copy(update=overrides)


def _broker_start(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import devbroker as broker

    config = _broker_settings(args, settings)
    try:
        info = broker.start_broker(config, progress=_say)
    except broker.BrokerError as error:
        raise CliError(str(error)) from error
    state = (
        "already running"
        if info.already_running
        else f"started in {info.started_in_s:.1f} s"
    )
    _say(f"broker {state} (pid {info.pid}, data {info.data_dir})")
    print(info.bootstrap)
    return 0


def _broker_stop(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import devbroker as broker

    stopped = broker.stop_broker(_broker_settings(args, settings))
    _say("broker stopped" if stopped else "no broker was running")
    return 0


def _broker_status(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import devbroker as broker

    status = broker.local_broker_status(_broker_settings(args, settings))
    print(status.describe())
    return 0 if status.answers else 1


def _say(message: str) -> None:
    print(message, file=sys.stderr)


@contextmanager
def _kafka_access(settings: Settings) -> Iterator[None]:
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


# -- worker -------------------------------------------------------------------------


def _add_worker(commands: Any) -> None:
    _command(
        commands,
        "worker",
        _worker,
        "run the pipeline's faust agents",
        "Run every stage's agent until stopped (Ctrl-C or SIGTERM). Start more\n"
        "workers with the same NEWSLINE_APP_ID to share the partitions; give each\n"
        "its own NEWSLINE_WEB_PORT and NEWSLINE_DATA_DIR.",
    )


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.worker.main import run_worker

    with _kafka_access(settings):
        run_worker(settings)
    return 0


# -- replay -------------------------------------------------------------------------


def _add_replay(commands: Any) -> None:
    replay = _command(
        commands,
        "replay",
        _replay,
        "produce corpus files to articles.raw",
        "Send .txt, .html, .html.gz and .jsonl (one RawArticle per line) files, or\n"
        "the files in folders, to articles.raw keyed by article_id. A .txt file's\n"
        "source is its file name without the extension.",
    )
    replay.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    replay.add_argument(
        "--repeat",
        type=positive_integer,
        default=1,
        help="send N copies with distinct article_ids",
    )
    replay.add_argument(
        "--rate", type=positive_number, help="at most R articles per second"
    )
    replay.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        help="progress bar (default: on a terminal only)",
    )


def _replay(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.clients.replay import replay

    paths = _corpus(args.paths)
    with _corpus_access(), _kafka_access(settings):
        report = asyncio.run(
            replay(
                settings,
                paths,
                repeat=args.repeat,
                rate=args.rate,
                show_progress=args.progress,
            )
        )
    rate = report.sent / report.seconds if report.seconds else 0.0
    _say(f"sent {report.sent} articles in {report.seconds:.1f} s ({rate:.0f}/s)")
    return 0


def _corpus(paths: Sequence[Path]) -> list[Path]:
    """The paths, once known to exist and to hold corpus files: before any work."""
    from pipeline.clients.corpus import require_corpus_files

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CliError(f"no such file or folder: {', '.join(missing)}")
    with _corpus_access():
        require_corpus_files(paths)
    return list(paths)


@contextmanager
def _corpus_access() -> Iterator[None]:
    """A corpus file that cannot be read becomes one line naming it."""
    from pipeline.clients.corpus import CorpusError

    try:
        yield
    except CorpusError as error:
        raise CliError(str(error)) from error


# -- tail ---------------------------------------------------------------------------


def _add_tail(commands: Any) -> None:
    tail = _command(
        commands,
        "tail",
        _tail,
        "print a topic's records as JSON lines",
        "Print records of TOPIC (a pipeline topic such as articles.enriched gets the\n"
        "NEWSLINE_TOPIC_PREFIX) as one JSON document per line on stdout.",
    )
    tail.add_argument("topic", metavar="TOPIC")
    tail.add_argument("--from-beginning", action="store_true", help="start at offset 0")
    tail.add_argument("--limit", type=positive_integer, help="stop after N records")
    tail.add_argument(
        "--timeout",
        type=positive_number,
        help="stop after S seconds without a new record",
    )


def _tail(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.clients.tail import tail

    with _kafka_access(settings):
        asyncio.run(
            tail(
                settings,
                args.topic,
                out=sys.stdout,
                from_beginning=args.from_beginning,
                limit=args.limit,
                idle_timeout=args.timeout,
            )
        )
    return 0


# -- extract ------------------------------------------------------------------------


def _add_extract(commands: Any) -> None:
    extract = _command(
        commands,
        "extract",
        _extract,
        "run the stages in-process, without a broker",
        "Run the pipeline's stages over corpus files in the order given and write one\n"
        "<topic>.jsonl per output topic into --out. Same stage code as the service.",
    )
    extract.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    extract.add_argument("--out", type=Path, required=True, help="output folder")
    extract.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, help="progress bar"
    )


def _extract(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.cli.extract import extract

    paths = _corpus(args.paths)
    out = _output_folder(args.out)
    with _corpus_access():
        counts = extract(settings, paths, out, show_progress=args.progress)
    for topic, count in counts.items():
        _say(f"{args.out / (topic + '.jsonl')}: {count} records")
    return 0


def _output_folder(path: Path) -> Path:
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


# -- run ----------------------------------------------------------------------------


def _add_run(commands: Any) -> None:
    run = _command(
        commands,
        "run",
        _run,
        "worker + replay + summary, in one go",
        "Start a worker, replay PATH... through it, wait until every article reached\n"
        "articles.enriched or articles.deadletter, print a summary, stop the worker.",
    )
    run.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    run.add_argument(
        "--timeout",
        type=positive_number,
        default=180.0,
        help="give up after S seconds (180)",
    )


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.cli.run import RunError, run

    paths = _corpus(args.paths)
    try:
        with _corpus_access(), _kafka_access(settings):
            run(settings, paths, out=sys.stdout, timeout=args.timeout)
    except RunError as error:
        raise CliError(str(error)) from error
    return 0


if __name__ == "__main__":
    sys.exit(main())
