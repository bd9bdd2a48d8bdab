"""One new article's claims placed into clusters, and its figures compared.

Claims are placed one at a time, in article order, so a later claim of the same
article may join a cluster an earlier one founded. A placement is a few dozen
single-key lookups: the candidate clusters come from the posting lists of the
claim's terms, the best few by shared terms are scored on their members' profiles
(the mean over the founding and latest members), and the best at or above the
threshold is joined.

Every key is written at most once per article (``StagedWrites``), and a posting
list is rewritten only when the cluster is new to its recent half: in the service
each write is a changelog record, and posting lists were most of those bytes.

A cluster's record is bounded whatever its size (``bounded``): it lists its founding
member and the latest ones, its first and latest figures and its latest terms, and
keeps exact counts of members and of distinct sources (with one ``o:`` tally per
source). A decision reads and writes whole records, so with unbounded ones the
thousandth copy of a wire story cost a thousand times the first.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from pipeline.corroborate.compare import Comparer, same_speaker
from pipeline.corroborate.figures import Figure, comparable_categories, read_figures
from pipeline.corroborate.profile import ClaimProfile, profile, similarity
from pipeline.corroborate.records import (
    ClusterRecord,
    FigureRecord,
    MemberRecord,
    cluster_key,
    figure_key,
    figures_key,
    tally_key,
    term_key,
    text_key,
)
from pipeline.corroborate.terms import claim_entities, entity_key
from pipeline.settings import CorroborateSettings
from pipeline.state import Store
from pipeline.state.staging import StagedWrites
from schemas import Claim, EnrichedArticle
from schemas.corroborate import ClusterMember, FigureComparison


class Decision:
    """The placements and comparisons of one article, against the state so far."""

    def __init__(
        self,
        state: Store,
        article: EnrichedArticle,
        settings: CorroborateSettings,
        *,
        time: float,
        seq: int,
        oldest: float,
        comparer: Comparer,
    ) -> None:
        self._state = StagedWrites(state)
        self._article = article
        self._settings = settings
        self._time = time
        self._seq = seq
        self._oldest = oldest
        self._comparer = comparer
        self._copies = _copied_sentences(article)
        self._context = sorted(_article_context(article))
        self.assigned: list[list[str]] = []
        self.changed: dict[str, ClusterRecord] = {}  # joined or founded, in order
        self._loaded: dict[str, ClusterRecord | None] = {}
        self.comparisons: list[FigureComparison] = []
        self.figures: list[str] = []
        self.independent: list[str] = []  # claim ids that count as independent

    def place(self, claim: Claim) -> None:
        """Put the claim in its cluster; compare its figures with earlier ones."""
        figures = read_figures(claim)
        claim_profile = profile(claim, figures)
        cluster = (
            self._twin_cluster(claim)
            or self._best_cluster(claim_profile)
            or self._found(claim)
        )
        self.changed.setdefault(cluster["cluster_id"], cluster)
        self._join(cluster, claim, claim_profile)
        self.assigned.append([claim.claim_id, cluster["cluster_id"]])
        if self._independent(claim):
            self.independent.append(claim.claim_id)
            for figure in figures:
                self._compare_figure(claim, figure, cluster)

    def flush(self) -> None:
        """Write the changed clusters back (a table keeps only what is assigned),
        then every write of the decision to the store, each key once."""
        for cluster_id, cluster in self.changed.items():
            self._state[cluster_key(cluster_id)] = cluster
        self._state.commit()

    # Grouping

    def _twin_cluster(self, claim: Claim) -> ClusterRecord | None:
        """The live cluster that already holds this very text, if any.

        A claim is scored against a cluster's founding and latest members only, so
        without this a word-for-word copy could join another cluster that scores
        higher by then, and which cluster the two copies share would depend on the
        order they arrived in (on several partitions, not fixed).
        """
        for cluster_id in self._state.get(text_key(claim.text)) or []:
            cluster = self._cluster(cluster_id)
            if cluster is not None:
                return cluster
        return None

    def _best_cluster(self, claim: ClaimProfile) -> ClusterRecord | None:
        best: tuple[float, str] | None = None
        for cluster_id in self._candidates(claim):
            cluster = self._cluster(cluster_id)
            if cluster is None:
                continue
            # The mean over the members kept, not the best one: scored on its best
            # member, a claim chained different facts of one story into a cluster
            # as soon as the threshold was low enough for real restatements.
            scores = [
                similarity(claim, ClaimProfile.load(p))
                for p in _profiles(cluster, self._settings.max_profiles)
            ]
            score = sum(scores) / len(scores)
            if score >= self._settings.threshold and (best is None or score > best[0]):
                best = (score, cluster_id)
        return None if best is None else self._cluster(best[1])

    def _candidates(self, claim: ClaimProfile) -> list[str]:
        """The clusters sharing most index terms with the claim, most first."""
        hits: Counter[str] = Counter()
        for term in claim.index_terms():
            hits.update(self._state.get(term_key(term)) or [])
        ranked = sorted(hits.items(), key=lambda hit: (-hit[1], hit[0]))
        return [cluster_id for cluster_id, _ in ranked[: self._settings.max_candidates]]

    def _found(self, claim: Claim) -> ClusterRecord:
        cluster_id = cluster_id_of(claim.claim_id)
        return ClusterRecord(
            cluster_id=cluster_id,
            label=claim.text,
            first_seen=self._time,
            updated=self._time,
            members=[],
            count=0,
            sources=[],
            source_count=0,
            independent_sources=0,
            figures=[],
            terms=[],
        )

    def _join(
        self, cluster: ClusterRecord, claim: Claim, claim_profile: ClaimProfile
    ) -> None:
        member = ClusterMember(
            claim_id=claim.claim_id,
            article_id=self._article.article_id,
            source=self._article.source,
            sentence_index=claim.sentence_index,
            text=claim.text,
            speaker=claim.speaker,
            independent=self._independent(claim),
        )
        # A redelivered article decided again, after a crash that kept only some of
        # its first decision's writes, replaces its member instead of adding one.
        listed = [
            m for m in cluster["members"] if m["member"]["claim_id"] != claim.claim_id
        ]
        if len(listed) == len(cluster["members"]):
            self._count_in(cluster, member.source, independent=member.independent)
        cluster["members"] = [
            *listed,
            MemberRecord(
                member=member.model_dump(mode="json"),
                time=self._time,
                profile=claim_profile.dump(),
            ),
        ]
        cluster["first_seen"] = min(cluster["first_seen"], self._time)
        cluster["updated"] = max(cluster["updated"], self._time)
        self._post(cluster, claim_profile.index_terms())
        twin = text_key(claim.text)
        if self._state.get(twin) != [cluster["cluster_id"]]:
            self._state[twin] = [cluster["cluster_id"]]
        if twin not in cluster["terms"]:
            cluster["terms"].append(twin)
        bound(cluster, self._settings)

    def _count_in(
        self, cluster: ClusterRecord, source: str, *, independent: bool
    ) -> None:
        """Count a new member, and its source if new to the cluster."""
        key = tally_key(cluster["cluster_id"], source)
        members, independents = self._state.get(key) or (0, 0)
        if members == 0:
            cluster["source_count"] += 1
            if len(cluster["sources"]) < SOURCES_LISTED:
                cluster["sources"].append(source)
        if independent and independents == 0:
            cluster["independent_sources"] += 1
        self._state[key] = [members + 1, independents + independent]
        cluster["count"] += 1

    def _post(self, cluster: ClusterRecord, terms: list[str]) -> None:
        """File the cluster last in each term's posting list; the oldest fall off.

        A cluster already in the newer half of a list stays where it is: it is
        still far from falling off, and rewriting the list would cost a changelog
        record of the whole list for nothing."""
        cluster_id = cluster["cluster_id"]
        limit = self._settings.max_postings
        for term in terms:
            key = term_key(term)
            held: list[str] = self._state.get(key) or []
            if cluster_id not in held[-((limit + 1) // 2) :]:
                holders = [h for h in held if h != cluster_id]
                self._state[key] = [*holders, cluster_id][-limit:]
            if key not in cluster["terms"]:
                cluster["terms"].append(key)

    def _cluster(self, cluster_id: str) -> ClusterRecord | None:
        """A live cluster, as a copy this decision may change and write back."""
        if cluster_id in self.changed:
            return self.changed[cluster_id]
        if cluster_id not in self._loaded:
            stored: ClusterRecord | None = self._state.get(cluster_key(cluster_id))
            if stored is not None and stored["updated"] >= self._oldest:
                self._loaded[cluster_id] = loaded_cluster(stored, self._state)
            else:
                self._loaded[cluster_id] = None
        return self._loaded[cluster_id]

    def _independent(self, claim: Claim) -> bool:
        return (
            self._article.duplicate.kind is None
            and claim.sentence_index not in self._copies
        )

    # Figures

    def _compare_figure(
        self, claim: Claim, figure: Figure, cluster: ClusterRecord
    ) -> None:
        record = self._figure_record(claim, figure, cluster["cluster_id"])
        for peer in self._peers(record, cluster):
            earlier, later = _in_order(peer, record)
            self.comparisons.append(self._comparer.compare(earlier, later))
        key = figure_key(claim.claim_id, figure.index)
        self._state[key] = record
        self.figures.append(key)
        cluster["figures"].append(key)
        bound(cluster, self._settings)
        if figure.fate != "count":
            listed = figures_key(figure.category)
            held = [*(self._state.get(listed) or []), key]
            self._state[listed] = held[-self._settings.max_postings :]

    def _figure_record(
        self, claim: Claim, figure: Figure, cluster_id: str
    ) -> FigureRecord:
        date = claim.dates[0] if claim.dates else None
        return FigureRecord(
            claim_id=claim.claim_id,
            index=figure.index,
            article_id=self._article.article_id,
            source=self._article.source,
            cluster_id=cluster_id,
            speaker=None if claim.speaker is None else claim.speaker.model_dump(),
            quantity=figure.quantity.model_dump(),
            when=None if date is None else date.value or date.text,
            dated=date is not None and date.value is not None,
            category=figure.category,
            fate=figure.fate,
            subject=sorted(figure.subject),
            context=self._context,
            hedged=claim.hedged or figure.quantity.qualifier in {"approx", "vague"},
            time=self._time,
            seq=self._seq,
            actors=sorted(claim_entities(claim, _ACTOR_LABELS)),
        )

    def _peers(
        self, figure: FigureRecord, cluster: ClusterRecord
    ) -> list[FigureRecord]:
        """Earlier figures to compare with, from this cluster and from other
        clusters that count the same of the same people: the first of each
        distinct figure, and the same speaker's latest (it may be an update).
        Repeats of one figure are compared once, not with every earlier repeat."""
        if figure["category"] == "count:":
            return []  # a bare number counts nothing: "one" against "10"
        comparable = set(comparable_categories(figure["category"]))
        own = [
            f
            for f in self._figures(cluster["figures"])
            if f["category"] in comparable and same_actors(f, figure)
        ]
        others = (
            [] if figure["fate"] == "count" else self._elsewhere(figure, comparable)
        )
        earlier = [f for f in [*own, *others] if f["claim_id"] != figure["claim_id"]]
        peers: dict[tuple[Any, ...], FigureRecord] = {}
        for peer in earlier:
            peers.setdefault(_distinct(peer), peer)
        own_speaker = [
            f for f in earlier if same_speaker(f["speaker"], figure["speaker"])
        ]
        if own_speaker:
            peers.setdefault(("speaker",), own_speaker[-1])
        unique = {id(p): p for p in peers.values()}
        return list(unique.values())[: self._settings.max_peers]

    def _elsewhere(
        self, figure: FigureRecord, categories: set[str]
    ) -> list[FigureRecord]:
        found = []
        for category in sorted(categories):
            for peer in self._figures(self._state.get(figures_key(category)) or []):
                other_cluster = peer["cluster_id"] != figure["cluster_id"]
                if other_cluster and same_subject(figure, peer):
                    found.append(peer)
        return sorted(found, key=lambda f: (f["time"], f["seq"]))

    def _figures(self, keys: list[str]) -> list[FigureRecord]:
        records = (self._state.get(key) for key in keys)
        return [r for r in records if r is not None and r["time"] >= self._oldest]


def cluster_id_of(claim_id: str) -> str:
    """A cluster is named after the claim that founded it."""
    return hashlib.sha256(f"cluster|{claim_id}".encode()).hexdigest()[:32]


def same_subject(a: FigureRecord, b: FigureRecord) -> bool:
    """Whether two figures count the same people: a shared subject ("North
    Korean"), or each one's subject named in the other's article (so that
    "Pyongyang's soldiers" meets "North Korean troops" in a story about both)."""
    if _meets(a["subject"], b["subject"]):
        return True
    return _meets(a["subject"], b["context"]) and _meets(b["subject"], a["context"])


def same_actors(a: FigureRecord, b: FigureRecord) -> bool:
    """Whether two figures can be about the same actors: when both claims name
    organisations or people, some name is shared ("Ryanair has an option on 70
    more" and "Japan Airlines has an option on 20 more" count different orders)."""
    first, second = a.get("actors") or [], b.get("actors") or []
    if not first or not second:
        return True
    names = {word for key in first for word in key.split()}
    return any(word in names for key in second for word in key.split())


_ACTOR_LABELS = frozenset({"ORG", "PERSON"})


def _meets(keys: list[str], others: list[str]) -> bool:
    return any(_same_name(k, o) for k in keys for o in others)


def _same_name(a: str, b: str) -> bool:
    words_a, words_b = set(a.split()), set(b.split())
    return (
        bool(words_a) and bool(words_b) and (words_a <= words_b or words_b <= words_a)
    )


def _distinct(figure: FigureRecord) -> tuple[Any, ...]:
    quantity = figure["quantity"]
    return (
        figure["category"],
        quantity["low"],
        quantity["high"],
        quantity["qualifier"],
    )


def _in_order(a: FigureRecord, b: FigureRecord) -> tuple[FigureRecord, FigureRecord]:
    return (a, b) if (a["time"], a["seq"]) <= (b["time"], b["seq"]) else (b, a)


def _profiles(cluster: ClusterRecord, limit: int) -> list[Any]:
    """The founding member's profile and the latest ones': how the fact was first
    told, and how it is told now."""
    members = cluster["members"]
    chosen = members[:1] + members[1:][-(limit - 1) :] if limit > 1 else members[:1]
    return [m["profile"] for m in chosen]


#: Distinct sources a cluster's record lists (all are counted), and the latest
#: terms it remembers having been posted under (older ones drop out of the bounded
#: posting lists by themselves).
SOURCES_LISTED = 100
TERMS_KEPT = 256


def bound(cluster: ClusterRecord, settings: CorroborateSettings) -> None:
    """Cut the cluster's lists to their bounds: the founding member and the latest
    ones; the first and the latest figures (the first of each distinct figure is
    what a new one is compared with, the latest may be an update); the latest terms.
    """
    cluster["members"] = _first_and_latest(cluster["members"], 1, settings.max_members)
    peers = settings.max_peers
    cluster["figures"] = _first_and_latest(cluster["figures"], peers, 2 * peers)
    cluster["terms"] = cluster["terms"][-TERMS_KEPT:]


def _first_and_latest(items: list[Any], first: int, limit: int) -> list[Any]:
    if len(items) <= limit:
        return items
    return items[:first] + items[len(items) - (limit - first) :]


def loaded_cluster(stored: ClusterRecord, state: Store) -> ClusterRecord:
    """A copy of a stored cluster that a decision may change and write back.

    A record written before counts were kept lists every member: its counts are
    taken from them, and its per-source tallies written, once."""
    cluster = ClusterRecord(
        cluster_id=stored["cluster_id"],
        label=stored["label"],
        first_seen=stored["first_seen"],
        updated=stored["updated"],
        members=list(stored["members"]),
        count=stored.get("count", 0),
        sources=list(stored.get("sources", [])),
        source_count=stored.get("source_count", 0),
        independent_sources=stored.get("independent_sources", 0),
        figures=list(stored["figures"]),
        terms=list(stored["terms"]),
    )
    if "count" not in stored:
        _count_listed(cluster, state)
    return cluster


def _count_listed(cluster: ClusterRecord, state: Store) -> None:
    tallies: dict[str, list[int]] = {}
    for record in cluster["members"]:
        member = record["member"]
        tally = tallies.setdefault(member["source"], [0, 0])
        tally[0] += 1
        tally[1] += bool(member["independent"])
    for source, tally in tallies.items():
        state[tally_key(cluster["cluster_id"], source)] = tally
    cluster["count"] = len(cluster["members"])
    cluster["sources"] = list(tallies)[:SOURCES_LISTED]
    cluster["source_count"] = len(tallies)
    cluster["independent_sources"] = sum(1 for t in tallies.values() if t[1])


def _copied_sentences(article: EnrichedArticle) -> frozenset[int]:
    return frozenset(s.index for s in article.sentences if s.repeat_of is not None)


def _article_context(article: EnrichedArticle) -> set[str]:
    labels = {"NORP", "GPE"}
    return {
        key
        for claim in article.claims
        for entity in claim.entities
        if entity.label in labels and (key := entity_key(entity))
    }
