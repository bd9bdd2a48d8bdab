"""One new article's claims placed into clusters, and its figures compared.

Claims are placed one at a time, in article order, so a later claim of the same
article may join a cluster an earlier one founded. A placement is a few dozen
single-key lookups: the candidate clusters come from the posting lists of the
claim's terms, and the best few by shared terms are scored on their listed
members' profiles. The claim joins every cluster with a member at or above the
threshold (single linkage): when it links several, they merge into the one named
by the earliest namer (``namer_key``), and the others become pointers to it
(``merged_into``), published so that readers follow them. A window's grouping is
then the same in any arrival order, as long as no cluster outgrows its listed
members (``max_members``) and no term its posting list (``max_postings``).

Every key is written at most once per article (``StagedWrites``), and a posting
list is rewritten only when the cluster is new to its recent half: in the service
each write is a changelog record, and posting lists were most of those bytes.

A cluster's record is bounded whatever its size (``bounded``): it lists the member
it is named by and the latest ones, its first and latest figures and its latest
terms, and keeps exact counts of members and of distinct sources (with one ``o:``
tally per source). A decision reads and writes whole records, so with unbounded ones the
thousandth copy of a wire story cost a thousand times the first.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from itertools import islice
from typing import Any

from pipeline.corroborate.cache import Memo
from pipeline.corroborate.compare import Comparer, same_speaker
from pipeline.corroborate.figures import (
    MEASURE,
    Figure,
    comparable_categories,
    expected,
    read_figures,
    read_measures,
)
from pipeline.corroborate.profile import (
    ClaimProfile,
    could_reach,
    profile,
    similarity,
)
from pipeline.corroborate.records import (
    MAX_HOPS,
    ClusterRecord,
    FigureRecord,
    MemberRecord,
    cluster_key,
    figure_key,
    figures_key,
    profiles_key,
    tally_key,
    term_key,
    text_key,
)
from pipeline.corroborate.terms import claim_entities, claim_periods, entity_key
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
        profiles: Memo[str, ClaimProfile] | None = None,
    ) -> None:
        self._state = StagedWrites(state)
        self._loaded_profiles = (
            Memo[str, ClaimProfile](0) if profiles is None else profiles
        )
        self._article = article
        self._settings = settings
        self._time = time
        self._seq = seq
        self._oldest = oldest
        self._comparer = comparer
        self._copies = _copied_sentences(article)
        placed = article.claims[: settings.max_claims_per_article]
        self._figures_of = {c.claim_id: read_figures(c) for c in placed}
        self._own = {
            c.claim_id: profile(c, self._figures_of[c.claim_id]) for c in placed
        }
        self._others: dict[str, list[ClaimProfile] | None] = {}
        #: Scores by (claim id, the member's content): None when it cannot reach.
        self._scores: dict[tuple[str, tuple[object, ...]], float | None] = {}
        self._context = sorted(_article_context(article))
        self.assigned: list[list[str]] = []
        self.changed: dict[str, ClusterRecord] = {}  # joined or founded, in order
        self._loaded: dict[str, ClusterRecord | None] = {}
        self._absent: set[str] = set()  # ids read that have no record
        self.comparisons: list[FigureComparison] = []
        self.figures: list[str] = []
        self.independent: list[str] = []  # claim ids that count as independent

    @property
    def state(self) -> StagedWrites:
        """The decision's staged store: what else is decided with it writes here."""
        return self._state

    def place(self, claim: Claim) -> None:
        """Put the claim in its cluster; compare its figures with earlier ones."""
        figures = self._figures_of.get(claim.claim_id) or read_figures(claim)
        claim_profile = self._own.get(claim.claim_id) or profile(claim, figures)
        cluster = self._merged(self._linked(claim, claim_profile), claim)
        self.changed.setdefault(cluster["cluster_id"], cluster)
        self._join(cluster, claim, claim_profile)
        self.assigned.append([claim.claim_id, cluster["cluster_id"]])
        if self._independent(claim):
            self.independent.append(claim.claim_id)
            compared = _unpaired((*figures, *read_measures(claim)))
            close = self._close_members(claim_profile, cluster) if compared else set()
            for figure in compared:
                self._compare_figure(claim, figure, cluster, close)

    def flush(self) -> None:
        """Write the changed clusters back (a table keeps only what is assigned),
        then every write of the decision to the store, each key once. Each counts
        one more article that names it."""
        # The profiles first: a crash that keeps some of the writes keeps them
        # whenever it keeps a cluster listing the article's members.
        if self._own:
            own = [p.dump() for p in self._own.values()]
            self._state[profiles_key(self._article.article_id)] = own
        for cluster_id, cluster in self.changed.items():
            cluster["refs"] = cluster.get("refs", 0) + 1
            self._state[cluster_key(cluster_id)] = cluster
        self._state.commit()

    # Grouping

    def _linked(self, claim: Claim, claim_profile: ClaimProfile) -> list[ClusterRecord]:
        """Every live cluster with a listed member close enough to the claim, and
        the one that holds its very text.

        Linkage is single, to any member, not to a cluster's average: only then is
        the grouping of a window the same whatever order its claims came in (two
        claims are together when a chain of close pairs joins them, and every pair
        is scored whichever of the two came last).
        """
        linked: dict[str, ClusterRecord] = {}
        twin = self._twin_cluster(claim)
        if twin is not None:
            linked[twin["cluster_id"]] = twin
        for cluster in self._candidates(claim_profile):
            if cluster["cluster_id"] not in linked and any(
                (other := self._profile_of(m)) is not None
                and self._close(claim_profile, other, m)
                for m in _listed(cluster, self._settings.max_profiles)
            ):
                linked[cluster["cluster_id"]] = cluster
        return list(linked.values())

    def _close(
        self, claim: ClaimProfile, other: ClaimProfile, member: MemberRecord
    ) -> bool:
        """Whether two claims are one fact: alike enough, and, from two articles,
        each the other's closest in its article.

        The second test keeps a claim that mixes two facts from chaining them: of
        "Ukraine has captured two soldiers" and "Zelenskyy is prepared to return
        two captured soldiers", each has a closer match in the other's article. It
        looks at the two articles only, so the grouping stays order-free.
        """
        score = self._score(claim, other)
        if score is None or score < self._settings.threshold:
            return False
        article_id = member["member"]["article_id"]
        if article_id == self._article.article_id:
            return True
        theirs = self._profiles_of(article_id)
        if theirs is None:  # decided before profiles were kept
            return True
        return all(similarity(claim, p) <= score for p in theirs) and all(
            similarity(other, p) <= score for p in self._own.values()
        )

    def _score(self, claim: ClaimProfile, other: ClaimProfile) -> float | None:
        """The pair's similarity, None when it cannot reach the threshold; once per
        content of the member, as a story's outlets repeat one sentence."""
        key = (claim.claim_id, other.content)
        if key not in self._scores:
            reachable = could_reach(claim, other, self._settings.threshold)
            self._scores[key] = similarity(claim, other) if reachable else None
        return self._scores[key]

    def _profiles_of(self, article_id: str) -> list[ClaimProfile] | None:
        if article_id not in self._others:
            stored = self._state.get(profiles_key(article_id))
            self._others[article_id] = (
                None if stored is None else [ClaimProfile.load(p) for p in stored]
            )
        return self._others[article_id]

    def _twin_cluster(self, claim: Claim) -> ClusterRecord | None:
        """The live cluster that already holds this very text, if any: a copy
        joins it even when its founding member has left the listed ones. Without
        an index entry, the cluster named after the text, or the one that
        absorbed it."""
        named = cluster_id_of(text_key(claim.text))
        for cluster_id in self._state.get(text_key(claim.text)) or [named]:
            cluster = self._cluster(cluster_id)
            if cluster is not None:
                return cluster
        return None

    def _candidates(self, claim: ClaimProfile) -> list[ClusterRecord]:
        """The live clusters sharing most index terms with the claim, most first
        (an absorbed cluster's id still in a posting list stands for its heir; the
        id of a dropped one, left in the lists by forgetting, is passed over)."""
        hits: Counter[str] = Counter()
        for term in claim.index_terms():
            hits.update(self._state.get(term_key(term)) or [])
        ranked = sorted(hits.items(), key=lambda hit: (-hit[1], hit[0]))
        found: dict[str, ClusterRecord] = {}
        limit = self._settings.max_candidates
        named = (c for c, _ in ranked if self._named(c))
        for cluster_id in islice(named, 2 * limit):
            cluster = self._cluster(cluster_id)
            if cluster is not None:
                found.setdefault(cluster["cluster_id"], cluster)
            if len(found) == limit:
                break
        return list(found.values())

    def _merged(self, linked: list[ClusterRecord], claim: Claim) -> ClusterRecord:
        """The one cluster the claim and every cluster it links are now: the one
        named by the earliest of their namers, which absorbs the others."""
        mine = self._namer(claim)
        ranked = sorted(linked, key=lambda c: namer_key(namer_of(c)))
        if ranked and namer_key(namer_of(ranked[0])) <= namer_key(mine):
            heir, ranked = ranked[0], ranked[1:]
        else:
            heir = self._found(claim)
            ranked = [c for c in ranked if c["cluster_id"] != heir["cluster_id"]]
            # Assigned, not set by default: the id may be a pointer this very
            # decision wrote, which the heir replaces (kept, the pointer would
            # close a loop with the cluster it points to, about to be absorbed).
            self.changed[heir["cluster_id"]] = heir
        for absorbed in ranked:
            self._absorb(heir, absorbed)
        return heir

    def _namer(self, claim: Claim) -> list[Any]:
        published = self._article.published_at
        stamp = None if published is None else published.timestamp()
        return [stamp, text_key(claim.text)]

    def _found(self, claim: Claim) -> ClusterRecord:
        """The cluster named after the claim's text. A live one named after a copy
        published later keeps its name, now the claim's. The id may also be that
        of a cluster absorbed since: the pointer's count of articles naming the
        id, and the terms the id is posted under, stay with the new cluster."""
        cluster_id = cluster_id_of(text_key(claim.text))
        before = self._record(cluster_id)
        if before is not None and "merged_into" not in before:
            before["namer"] = self._namer(claim)
            return before
        cluster = _empty(cluster_id, claim.text, self._time)
        cluster["namer"] = self._namer(claim)
        if before is not None:
            cluster["terms"] = list(before["terms"])
            if "refs" in before:
                cluster["refs"] = before["refs"]
        return cluster

    def _absorb(self, heir: ClusterRecord, absorbed: ClusterRecord) -> None:
        """Move the absorbed cluster's members, counts and figures to its heir; its
        record becomes a pointer to the heir."""
        heir["members"] = _by_namer(heir, [*heir["members"], *absorbed["members"]])
        if heir["members"]:
            heir["label"] = heir["members"][0]["member"]["text"]
        heir["count"] += absorbed["count"]
        self._move_tallies(heir, absorbed)
        heir["figures"] += [f for f in absorbed["figures"] if f not in heir["figures"]]
        heir["first_seen"] = min(heir["first_seen"], absorbed["first_seen"])
        heir["updated"] = max(heir["updated"], absorbed["updated"], self._time)
        bound(heir, self._settings)
        pointer = _empty(absorbed["cluster_id"], absorbed["label"], self._time)
        pointer["first_seen"] = absorbed["first_seen"]
        pointer["terms"] = absorbed[
            "terms"
        ]  # its id is unposted from them when it goes
        pointer["merged_into"] = heir["cluster_id"]
        pointer["refs"] = absorbed.get("refs", 0)
        self.changed[absorbed["cluster_id"]] = pointer

    def _move_tallies(self, heir: ClusterRecord, absorbed: ClusterRecord) -> None:
        """Per-source tallies of the listed sources move to the heir; sources
        beyond the listed ones are counted as new to it."""
        for source in absorbed["sources"]:
            moved = self._state.get(tally_key(absorbed["cluster_id"], source))
            if moved is None:
                continue
            del self._state[tally_key(absorbed["cluster_id"], source)]
            key = tally_key(heir["cluster_id"], source)
            members, independents = self._state.get(key) or (0, 0)
            if members == 0 and moved[0] > 0:
                heir["source_count"] += 1
                if len(heir["sources"]) < SOURCES_LISTED:
                    heir["sources"].append(source)
            if independents == 0 and moved[1] > 0:
                heir["independent_sources"] += 1
            self._state[key] = [members + moved[0], independents + moved[1]]
        heir["source_count"] += max(
            0, absorbed["source_count"] - len(absorbed["sources"])
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
        # Its profile stays in the article's record of profiles: listed in the
        # cluster it was most of the cluster's bytes, rewritten with every claim.
        joined = MemberRecord(member=member.model_dump(mode="json"), time=self._time)
        cluster["members"] = _by_namer(cluster, [*listed, joined])
        cluster["label"] = cluster["members"][0]["member"]["text"]
        cluster["first_seen"] = min(cluster["first_seen"], self._time)
        cluster["updated"] = max(cluster["updated"], self._time)
        self._post(cluster, claim_profile.index_terms())
        self._index_text(cluster, text_key(claim.text))
        bound(cluster, self._settings)

    def _index_text(self, cluster: ClusterRecord, twin: str) -> None:
        """Make the text's index entry lead to the cluster. A text whose own
        cluster holds it needs none: without an entry, ``_twin_cluster`` looks up
        the cluster the text names. Most claims found their cluster, so this
        saves a write per claim, and a delete when it is forgotten."""
        cluster_id = cluster["cluster_id"]
        if cluster_id == cluster_id_of(twin):
            if self._state.get(twin, [cluster_id]) != [cluster_id]:
                del self._state[twin]
            return
        if self._state.get(twin) != [cluster_id]:
            self._state[twin] = [cluster_id]
        if twin not in cluster["terms"]:
            cluster["terms"].append(twin)

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
        """A live cluster, as a copy this decision may change and write back; an
        absorbed one's heir."""
        for _ in range(MAX_HOPS):
            cluster = self._record(cluster_id)
            if cluster is None or "merged_into" not in cluster:
                return cluster
            cluster_id = cluster["merged_into"]
        return None

    def _named(self, cluster_id: str) -> bool:
        """Whether the id has a record, live or not: a posting list may still
        hold the id of a cluster forgotten since (``forget._leave``). Read once,
        with the record itself."""
        return self._record(cluster_id) is not None or cluster_id not in self._absent

    def _record(self, cluster_id: str) -> ClusterRecord | None:
        if cluster_id in self.changed:
            return self.changed[cluster_id]
        if cluster_id not in self._loaded:
            stored: ClusterRecord | None = self._state.get(cluster_key(cluster_id))
            if stored is None:
                self._absent.add(cluster_id)
            live = stored is not None and (
                "merged_into" in stored or stored["updated"] >= self._oldest
            )
            self._loaded[cluster_id] = (
                loaded_cluster(stored, self._state)
                if stored is not None and live
                else None
            )
        return self._loaded[cluster_id]

    def _independent(self, claim: Claim) -> bool:
        return (
            self._article.duplicate.kind is None
            and claim.sentence_index not in self._copies
        )

    # Figures

    def _close_members(self, claim: ClaimProfile, cluster: ClusterRecord) -> set[str]:
        """Claim ids of the cluster's listed members that are close to the claim
        itself, not only through others: a figure compared in its cluster only is
        compared with these (a chain of similar claims may join other facts)."""
        threshold = self._settings.threshold
        return {
            m["member"]["claim_id"]
            for m in cluster["members"]
            if (other := self._profile_of(m)) is not None
            and could_reach(claim, other, threshold)
            and similarity(claim, other) >= threshold
        }

    def _profile_of(self, member: MemberRecord) -> ClaimProfile | None:
        """A member's profile, loaded once: one claim's profile never changes.

        It is read from its article's record of profiles (a member listed before
        carries its own). None if that record is gone, which the order of a
        decision's writes rules out short of lost state."""
        if "profile" in member:
            dumped = member["profile"]
            return self._loaded_profiles.get(
                dumped[0], lambda: ClaimProfile.load(dumped)
            )
        claim_id = member["member"]["claim_id"]
        if claim_id in self._own:
            return self._own[claim_id]
        article_id = member["member"]["article_id"]
        try:
            return self._loaded_profiles.get(
                claim_id, lambda: self._stored_profile(article_id, claim_id)
            )
        except LookupError:
            return None

    def _stored_profile(self, article_id: str, claim_id: str) -> ClaimProfile:
        # _profiles_of loads the article's record once per decision; _close reads
        # the same record for its closest-in-article test.
        for found in self._profiles_of(article_id) or []:
            if found.claim_id == claim_id:
                return found
        raise LookupError(f"no profile of claim {claim_id} of article {article_id}")

    def _compare_figure(
        self, claim: Claim, figure: Figure, cluster: ClusterRecord, close: set[str]
    ) -> None:
        record = self._figure_record(claim, figure, cluster["cluster_id"])
        for peer in self._peers(record, cluster, close):
            earlier, later = _in_order(peer, record)
            self.comparisons.append(self._comparer.compare(earlier, later))
        key = figure_key(claim.claim_id, figure.index)
        self._state[key] = record
        self.figures.append(key)
        cluster["figures"].append(key)
        bound(cluster, self._settings)
        if figure.fate not in _LOCAL:
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
            periods=sorted(claim_periods(claim)),
            expected=expected(claim, figure.quantity),
        )

    def _peers(
        self, figure: FigureRecord, cluster: ClusterRecord, close: set[str]
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
        others = [] if figure["fate"] in _LOCAL else self._elsewhere(figure, comparable)
        if figure["fate"] in _LOCAL:
            own = [f for f in own if f["claim_id"] in close]
        if figure["fate"] == MEASURE:
            own = [f for f in own if _same_or_unnamed(f["speaker"], figure["speaker"])]
        # An article does not corroborate itself: a figure restated in another
        # sentence of it is not compared.
        earlier = [
            f for f in [*own, *others] if f["article_id"] != figure["article_id"]
        ]
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


def cluster_id_of(text: str) -> str:
    """A cluster is named after the text of one claim, its namer (``text_key``):
    copies of that text, which always share a cluster, never rename it."""
    return hashlib.sha256(f"cluster|{text}".encode()).hexdigest()[:32]


def _empty(cluster_id: str, label: str, time: float) -> ClusterRecord:
    """A cluster with no member yet: a new one, or the pointer an absorbed one
    becomes."""
    return ClusterRecord(
        cluster_id=cluster_id,
        label=label,
        first_seen=time,
        updated=time,
        members=[],
        count=0,
        sources=[],
        source_count=0,
        independent_sources=0,
        figures=[],
        terms=[],
    )


def namer_of(cluster: ClusterRecord) -> list[Any]:
    """``[published, text key]`` of the member the cluster is named after (a
    record kept before clusters merged is named after its founding member)."""
    if "namer" in cluster:
        return cluster["namer"]
    return [None, text_key(cluster["members"][0]["member"]["text"])]


def namer_key(namer: list[Any]) -> tuple[float, str]:
    """Earliest publication time first (none counts as latest), then text: a
    function of the members alone, so one grouping has one set of names, and in a
    live feed (published about when it arrives) names rarely change."""
    published, text = namer
    return (float("inf") if published is None else float(published), str(text))


def _by_namer(cluster: ClusterRecord, members: list[MemberRecord]) -> list[Any]:
    """The members with the namer first, the rest in their articles' time order."""
    if not members:
        return members
    namer = namer_of(cluster)[1] if "namer" in cluster or cluster["members"] else None
    firsts = [
        i for i, m in enumerate(members) if text_key(m["member"]["text"]) == namer
    ]
    first = members[firsts[0]] if firsts else None
    rest = [m for m in members if m is not first]
    return ([] if first is None else [first]) + sorted(rest, key=lambda m: m["time"])


def _same_or_unnamed(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    return a is None or b is None or same_speaker(a, b)


def _unpaired(figures: tuple[Figure, ...]) -> list[Figure]:
    """The figures that can be paired with another claim's without doubt: not
    those of a kind the claim gives twice ("6-2 7-6 (7-1)": which is which?)."""
    kinds = Counter(f.category for f in figures)
    return [f for f in figures if kinds[f.category] == 1]


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
    names = {word for key in first for word in key.split()} - _TITLES
    return any(word in names for key in second for word in key.split())


#: Words of a name that do not tell two people apart ("Mr Ebbers", "Mr Lebedev").
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "lord", "lady"})


_ACTOR_LABELS = frozenset({"ORG", "PERSON"})
#: Fates of figures compared in their own cluster only: a bare count, and an
#: amount or percentage (what it measures is not read).
_LOCAL = frozenset({"count", MEASURE})


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


def _listed(cluster: ClusterRecord, limit: int) -> list[MemberRecord]:
    """The namer and the latest members: the claims a new one is scored against."""
    members = cluster["members"]
    return members[:1] + members[1:][-(limit - 1) :] if limit > 1 else members[:1]


#: Distinct sources a cluster's record lists (all are counted), and the latest
#: terms it remembers having been posted under (older ones drop out of the bounded
#: posting lists by themselves).
SOURCES_LISTED = 100
TERMS_KEPT = 256


def bound(cluster: ClusterRecord, settings: CorroborateSettings) -> None:
    """Cut the cluster's lists to their bounds: the namer and the latest
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
    for field in ("namer", "merged_into", "refs"):
        if field in stored:
            cluster[field] = stored[field]
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
