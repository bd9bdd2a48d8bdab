"""The API and the page against a store filled from the seeds' extract output."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from pipeline.cli.extract import extract
from pipeline.serve.app import create_app
from pipeline.serve.feed import FeedMetrics, load_files
from pipeline.serve.store import Incoming, Store
from pipeline.settings import ServeSettings, Settings
from schemas import Claim, EnrichedArticle, Sentence

pytestmark = pytest.mark.slow

HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_TEXT = '"><img src=x onerror=alert(1)> said the minister.'


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("serve")
    seeds = Path(__file__).parents[3] / "seeds"
    extract(Settings(), [seeds], folder / "out")
    store = Store(folder / "serve.sqlite3")
    metrics = FeedMetrics.on(CollectorRegistry())
    assert load_files(store, folder / "out", metrics) > 100
    hostile = _hostile()
    store.apply(
        [
            Incoming("articles.enriched", None, 0, hostile.model_dump_json().encode()),
            Incoming("claims", None, 0, hostile.claims[0].model_dump_json().encode()),
        ]
    )
    store.close()
    return folder / "serve.sqlite3"


def _hostile() -> EnrichedArticle:
    text = f"{HOSTILE_TITLE} {HOSTILE_TEXT}"
    return EnrichedArticle(
        article_id="hostile",
        source="<b>outlet</b>",
        title=HOSTILE_TITLE,
        text=text,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        sentences=(Sentence(index=0, text=text, start=0, end=len(text)),),
        claims=(
            Claim(claim_id="h1", article_id="hostile", sentence_index=0, text=text),
        ),
    )


def _client(store_path: Path, **serve: object) -> TestClient:
    settings = Settings(serve=ServeSettings(db=store_path, **serve))  # type: ignore[arg-type]
    return TestClient(create_app(settings, CollectorRegistry()))


@pytest.fixture(scope="module")
def client(store_path: Path) -> Iterator[TestClient]:
    with _client(store_path) as client:
        yield client


def test_the_seeds_are_one_story_with_five_independent_sources(
    client: TestClient,
) -> None:
    stories = client.get("/api/stories").json()
    assert stories["total"] == 1
    (story,) = stories["items"]
    assert story["independent_sources"] == 5
    detail = client.get(f"/api/stories/{story['story_id']}").json()
    assert len(detail["articles"]) == 5
    assert detail["clusters"][0]["cluster"]["independent_sources"] == 5
    counts = [c["cluster"]["independent_sources"] for c in detail["clusters"]]
    assert counts == sorted(counts, reverse=True)
    relations = {(c["counted"], c["relation"]) for c in detail["comparisons"]}
    assert ("killed_or_wounded:soldier", "estimate_spread") in relations
    repeated = [v for c in detail["clusters"] for v in c["claims"] if v["repeat_of"]]
    assert repeated  # the seeds repeat sentences word for word


def test_claims_are_searched_by_words_speaker_entity_and_worth(
    client: TestClient,
) -> None:
    everything = client.get("/api/claims", params={"limit": 500}).json()
    assert everything["total"] == len(everything["items"]) > 50
    wounded = client.get("/api/claims", params={"q": "wounded soldiers"}).json()
    assert 0 < wounded["total"] < everything["total"]
    assert all("wound" in v["claim"]["text"].lower() for v in wounded["items"])
    by_speaker = client.get("/api/claims", params={"speaker": "zelenskyy"}).json()
    assert by_speaker["total"] > 0
    assert all(
        "zelenskyy" in v["claim"]["speaker"]["name"].lower()
        for v in by_speaker["items"]
    )
    by_entity = client.get("/api/claims", params={"entity": "pyongyang"}).json()
    assert by_entity["total"] > 0
    assert all(
        any(e["text"] == "Pyongyang" for e in v["claim"]["entities"])
        for v in by_entity["items"]
    )
    worthy = client.get(
        "/api/claims", params={"checkworthy": True, "limit": 500}
    ).json()
    assert all(v["claim"]["checkworthy"] for v in worthy["items"])
    assert 0 < worthy["total"] < everything["total"]
    later = client.get("/api/claims", params={"since": "2999-01-01"}).json()
    assert later["total"] == 0


def test_a_search_is_never_sql(client: TestClient, store_path: Path) -> None:
    for field in ("q", "speaker", "entity"):
        answer = client.get("/api/claims", params={field: "'; DROP TABLE claims; --"})
        assert answer.status_code == 200
        assert answer.json()["total"] == 0
    assert client.get("/api/claims", params={"speaker": "%"}).json()["total"] == 0
    with sqlite3.connect(store_path) as db:
        assert db.execute("SELECT count(*) FROM claims").fetchone()[0] > 50


def test_pages_walk_every_item_once(client: TestClient) -> None:
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = client.get("/api/claims", params={"limit": 7, "offset": offset}).json()
        seen += [v["claim"]["claim_id"] for v in page["items"]]
        offset = page["next_offset"]
    assert len(seen) == len(set(seen)) == client.get("/api/claims").json()["total"]


@pytest.mark.parametrize(
    ("path", "params", "names"),
    [
        ("/api/claims", {"limit": 0}, "limit"),
        ("/api/claims", {"limit": 10_000}, "limit"),
        ("/api/claims", {"since": "last tuesday"}, "since"),
        ("/api/claims", {"checkworthy": "perhaps"}, "checkworthy"),
        ("/api/conflicts", {"relation": "disagrees"}, "relation"),
    ],
)
def test_a_request_that_does_not_validate_gets_422_with_a_message(
    client: TestClient, path: str, params: dict[str, object], names: str
) -> None:
    answer = client.get(path, params=params)
    assert answer.status_code == 422
    assert answer.json()["message"].startswith(f"{names}: ")


def test_unknown_records_are_404_with_a_message(client: TestClient) -> None:
    for path in ("/api/stories/nope", "/api/articles/nope"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert "nope" in answer.json()["message"]
    assert client.get("/stories/nope").status_code == 404


def test_comparisons_and_articles(client: TestClient) -> None:
    spread = client.get("/api/conflicts", params={"relation": "estimate_spread"}).json()
    assert spread["total"] > 0
    assert {c["relation"] for c in spread["items"]} == {"estimate_spread"}
    story_id = client.get("/api/stories").json()["items"][0]["story_id"]
    article_id = client.get(f"/api/stories/{story_id}").json()["articles"][0][
        "article_id"
    ]
    article = client.get(f"/api/articles/{article_id}").json()
    assert article["story_id"] == story_id
    assert article["article"]["sentences"]


def test_the_api_is_described(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/stories",
        "/api/stories/{story_id}",
        "/api/claims",
        "/api/conflicts",
        "/api/articles/{article_id}",
        "/healthz",
    ):
        assert path in paths
    assert "/stories/{story_id}" not in paths  # the page is not the API


def test_every_page_renders(client: TestClient) -> None:
    story_id = client.get("/api/stories").json()["items"][0]["story_id"]
    index = client.get("/")
    assert index.status_code == 200
    assert f"/stories/{story_id}" in index.text
    story = client.get(f"/stories/{story_id}")
    assert "5 independent sources" in story.text
    assert 'data-relation="estimate_spread"' in story.text
    assert "<svg" in story.text
    assert (
        client.get(f"/stories/{story_id}?fragment=1").text.lstrip().startswith("<h1>")
    )
    search = client.get("/claims", params={"q": "wounded", "speaker": "intelligence"})
    assert "claim-text" in search.text
    assert client.get("/claims", params={"since": "soon"}).status_code == 422


def test_article_text_is_escaped_everywhere(client: TestClient) -> None:
    for path in ("/articles/hostile", "/claims?q=minister"):
        page = client.get(path).text
        assert "<script>alert(1)</script>" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "&lt;b&gt;outlet&lt;/b&gt;" in page


def test_a_token_guards_the_page_and_the_api_but_not_health(store_path: Path) -> None:
    with _client(store_path, token="s3cret") as client:
        assert client.get("/healthz").status_code == 200
        for path in ("/api/stories", "/", "/openapi.json"):
            refused = client.get(path)
            assert refused.status_code == 401
            assert "token" in refused.json()["message"]
        headers = {"Authorization": "Bearer s3cret"}
        assert client.get("/api/stories", headers=headers).status_code == 200
        assert (
            client.get(
                "/api/stories", headers={"Authorization": "Bearer no"}
            ).status_code
            == 401
        )
        # Once with ?token= in a browser: a cookie, and an address without it.
        opened = client.get("/claims?q=two&token=s3cret", follow_redirects=False)
        assert opened.status_code == 303
        assert "token" not in opened.headers["location"]
        assert client.get(opened.headers["location"]).status_code == 200


def test_health_counts_the_store(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok"
    assert health["articles"] == 6  # the seeds, and the hostile one
    assert health["stories"] >= 1
