"""Sentence lists to label by reading: BBC News articles split by the pipeline's own
ingest stage, written outside the repository (the texts must not enter it).

Each ``<category>-<NNN>.json`` holds the article's path, its whole text (for context)
and its sentences as the pipeline numbers them, each with the hash that a label
names it by (``sentence_hash``). The rules for labelling them are docs/labelling.md;
the labels go to bench/labels/bbc-claims/.

    .venv/bin/python bench/label_sentences.py --out /tmp/to-label [FILE ...]

Without files it writes the 40 articles of the labelled set (``labelled_files``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from pipeline.clients.corpus import plan
from pipeline.ingest import ingest_record
from pipeline.settings import Settings
from schemas import EnrichedArticle

ROOT = Path(__file__).resolve().parents[1]
BBC = ROOT.parent / "shared" / "corpora" / "bbc-news"

#: The labelled articles: in each category, every ``step``-th file from the fourth,
#: ``count`` of them (business and politics first, as the claims stage's weak spots
#: were found there).
SELECTION = (
    ("business", 18, 20),
    ("politics", 16, 19),
    ("tech", 4, 90),
    ("entertainment", 2, 150),
)


def labelled_files(corpus: Path = BBC) -> list[Path]:
    """The corpus files of the labelled set, in a fixed order."""
    chosen = []
    for category, count, step in SELECTION:
        files = sorted((corpus / category).glob("*.txt"))
        chosen += [files[index * step + 3] for index in range(count)]
    return chosen


def sentence_hash(text: str) -> str:
    """How a label names its sentence: SHA-1 of the text, whitespace collapsed."""
    return hashlib.sha1(" ".join(text.split()).encode()).hexdigest()[:12]


def label_name(path: Path) -> str:
    """``business-012`` for bbc-news/business/012.txt."""
    return f"{path.parent.name}-{path.stem}"


def sentences_to_label(path: Path, settings: Settings) -> dict[str, object]:
    [record] = list(plan([path]))
    article = ingest_record(record.value, limits=settings.ingest)
    if not isinstance(article, EnrichedArticle):
        raise SystemExit(f"{path}: not an article ({article.reason})")
    return {
        "file": f"{path.parent.name}/{path.name}",
        "title_and_body": path.read_text(encoding="utf-8", errors="replace"),
        "sentences": [
            {
                "s": sentence.index,
                "h": sentence_hash(sentence.text),
                "text": sentence.text,
                "boilerplate": sentence.boilerplate,
            }
            for sentence in article.sentences
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write to")
    parser.add_argument("files", nargs="*", type=Path, help="default: the labelled set")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    for path in args.files or labelled_files():
        listed = sentences_to_label(path, settings)
        target = args.out / f"{label_name(path)}.json"
        target.write_text(json.dumps(listed, indent=1), encoding="utf-8")
        print(target)


if __name__ == "__main__":
    main()
