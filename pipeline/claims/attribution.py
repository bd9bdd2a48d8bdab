"""Who asserts a clause, and with which cue: rules on the dependency tree.

Handled: the speaker before ("Zelenskyy said that ...") or after the content
("..., Zelenskyy said."), reported speech with "told", "according to X", and a
speaker's label before a colon or after a dash ("PENCE: ...", "― Esther Tapia."). The
speaker is the subject of the shallowest cue verb; pronouns and short references
("He added", "the agency") are resolved later, against the article's memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Span, Token

from pipeline.claims.lexicon import (
    ATTITUDE_VERBS,
    BODY_WORDS,
    CUE_VERBS,
    GOVERNMENT_WORDS,
    MEDIA_NAMES,
    MEDIA_WORDS,
    PARTICIPLE_CUES,
    PERSON_TITLES,
    word_set,
)

#: Cues that also take a plain object as their content ("confirmed their capture").
_OBJECT_CUES = word_set(
    """
    confirm confirms confirmed announce announces announced report reports
    reported deny denies denied acknowledge acknowledges acknowledged reveal
    reveals revealed claim claims claimed estimate estimates estimated accuse
    accuses accused disclose discloses disclosed
    """
)
_SPINE_DEPS = frozenset({"ROOT", "conj", "ccomp", "parataxis", "xcomp"})
_CONTENT_DEPS = frozenset({"ccomp", "xcomp", "parataxis"})
_SAY_VERBS = frozenset(
    ["say", "says", "said", "tell", "tells", "told", "add", "adds", "added"]
)
_TRAILING_CUES = _SAY_VERBS | word_set(
    """
    wrote writes stated reported announced confirmed noted explained claimed
    insisted recalled recalls underlined stressed warned argued
    """
)
_NAME_DEPS = word_set(
    """
    compound amod poss case det nummod nmod cc conj prep pobj punct flat
    """
)
_NAME_PREPOSITIONS = frozenset(["of", "for", "at", "from", "in"])
_PLACE_PREPOSITIONS = frozenset(["at", "in"])
_NOT_SPEAKERS = frozenset({"there", "that", "this", "which", "what", "who"})


@dataclass(frozen=True)
class Attribution:
    """A speaker as written in the clause and the cue that introduces the content;
    ``via``, the channel that relays the speaker ("X quoted Y as saying", "Y told
    the BBC"), when the clause names one."""

    mention: Span
    cue: str
    cue_start: int
    cue_end: int
    via: Span | None = None


def find_attribution(clause: Span) -> Attribution | None:
    """The clause's attribution, or None when the outlet itself asserts it.

    Data are not speakers (docs/labelling.md): in "official figures show" or
    "according to official statistics" the outlet reports what the data say; "a
    study by the State Planning Organisation" names its author, who is."""
    first = next(iter(find_attributions(clause)), None)
    if first is None or first.mention.root.lower_ not in _DATA_NOUNS:
        return first
    author = _author_of(first.mention.root)
    return None if author is None else _with_mention(first, author)


#: Nouns for data and documents, which report nothing by themselves.
_DATA_NOUNS = word_set(
    """
    figure figures statistic statistics data survey surveys study
    studies research prediction predictions estimate estimates number numbers
    analysis index forecast forecasts
    """
)


def _author_of(data: Token) -> Span | None:
    """The named author of a document: "a study by X", "figures from X"."""
    for preposition in data.children:
        if preposition.dep_ == "prep" and preposition.lower_ in {"by", "from", "of"}:
            for author in preposition.children:
                if author.dep_ == "pobj" and any(
                    t.pos_ == "PROPN" for t in author.subtree
                ):
                    return name_span(author)
    return None


def _with_mention(attribution: Attribution, mention: Span) -> Attribution:
    return Attribution(
        mention,
        attribution.cue,
        attribution.cue_start,
        attribution.cue_end,
        via=attribution.via,
    )


def find_attributions(clause: Span, *, embedded: bool = False) -> list[Attribution]:
    """Every attribution of the clause, outermost first. With ``embedded``, also
    those inside relative and adverbial clauses, which the outlet itself reports
    ("the offer came after the agency confirmed ..."): a claim's speaker is never
    one of those, but an attribution corpus counts them."""
    found = [label] if (label := _label(clause)) else []
    found += [according] if (according := _according_to(clause)) else []
    cues = [t for t in clause if _is_cue(t, embedded=embedded)]
    # Speech verbs before stance verbs: in "a soldier believed to be the first died,
    # the NIS said", the NIS is the speaker.
    for cue in sorted(cues, key=lambda t: (t.lower_ not in CUE_VERBS, _depth(t))):
        if any(child.dep_ == "neg" for child in cue.children):
            continue  # "hasn't confirmed": nobody asserts the content
        subject = _subject_of(cue)
        if subject is None or not _can_report(cue, subject):
            continue
        if _has_content(cue, clause):
            found.append(_relayed(cue, subject))
    return found


#: Verbs that take a content clause without anyone speaking: "the job gains mean
#: that ...", "its film division saw profits slump".
_NOT_SPEECH = word_set("see sees saw seen mean means meant")
#: Verbs of evidence: a person or a body "shows" or "suggests" something by saying
#: it; a thing ("the rise shows that ...") does not speak.
_EVIDENCE_VERBS = word_set(
    "show shows showed shown suggest suggests suggested indicate indicates indicated"
)


def _can_report(cue: Token, subject: Token) -> bool:
    if cue.lower_ in _NOT_SPEECH:
        return False
    if cue.lower_ not in _EVIDENCE_VERBS or subject.pos_ != "NOUN":
        return True
    word = subject.lower_
    return word in PERSON_TITLES or word in GOVERNMENT_WORDS or word in BODY_WORDS


#: Cues whose object, not subject, is the speaker when "as saying" follows: "the
#: agency quoted Mr Khodorkovsky as saying".
_QUOTING_CUES = word_set("quote quotes quoted")
#: Objects of "told" that are channels, not mere listeners ("told the BBC").
_CHANNEL_CUES = word_set("tell tells told")


def _relayed(cue: Token, subject: Token) -> Attribution:
    """The attribution of ``cue``: its subject speaks, unless it relays someone."""
    end = cue.idx + len(cue.text)
    objects = [c for c in cue.children if c.dep_ in {"dobj", "dative"}]
    if cue.lower_ in _QUOTING_CUES and objects:
        quoted = objects[0]
        return Attribution(
            name_span(quoted), cue.lower_, cue.idx, end, via=name_span(subject)
        )
    channels = [_channel(o) for o in objects] if cue.lower_ in _CHANNEL_CUES else []
    via = next((c for c in channels if c is not None), None)
    return Attribution(name_span(subject), cue.lower_, cue.idx, end, via=via)


def _channel(token: Token) -> Span | None:
    """The news outlet an object names ("the Reuters news agency"), up to its last
    outlet word: in "told the BBC progress had been made" the parser took "BBC" for
    a modifier of "progress"."""
    span = name_span(token)
    outlet = [t.i for t in span if t.lower_ in MEDIA_NAMES | MEDIA_WORDS]
    if not outlet and not {"news", "agency"} <= {t.lower_ for t in span}:
        return None
    last = span.end - 1 if token.lower_ in {"agency", "newspaper"} else max(outlet)
    return token.doc[span.start : last + 1]


#: Speakers and cues that ``attributions`` leaves out. Inside a quotation, "I" and
#: "we" are the quoted voice's own asides, and a private state ("they think", "she
#: wants") is rarely a source PolNeAR annotates: counting them cost more precision
#: on PolNeAR dev than they gave in recall.
_INNER_VOICES = frozenset({"i", "we", "you", "it", "me", "us"})
_PRIVATE_STATES = word_set(
    """
    think thinks thought want wants wanted hope hopes hoped believe
    """
)


def attributions(clause: Span) -> list[Attribution]:
    """Every attribution a reader would mark in the clause, outermost first: those
    on its spine and those inside relative and adverbial clauses. The stage takes
    only the first (``find_attribution``); an attribution corpus counts them all."""
    return [
        attribution
        for attribution in find_attributions(clause, embedded=True)
        if attribution.mention.text.lower() not in _INNER_VOICES
        and attribution.cue not in _PRIVATE_STATES
    ]


def _according_to(clause: Span) -> Attribution | None:
    for token in clause:
        if token.lower_ != "according" or token.i + 1 >= clause.end:
            continue
        to = token.doc[token.i + 1]
        objects = [c for c in to.children if c.dep_ == "pobj"]
        if to.lower_ == "to" and objects:
            end = to.idx + len(to.text)
            return Attribution(name_span(objects[0]), "according to", token.idx, end)
    return None


#: Dashes that sign off a quotation with its speaker's name ("― Esther Tapia.").
_DASHES = frozenset({"\u2015", "\u2014", "--"})
#: Words a short name before a colon may hold besides nouns: "Said Ellis:".
_LABEL_WORDS = frozenset({"DET", "PROPN", "NOUN", "PART", "PUNCT"})
_LABEL_LENGTH = 5


def _label(clause: Span) -> Attribution | None:
    """A transcript's or headline's speaker label ("PENCE: ...", "Poll: ...",
    "Said Ellis: ..."), or a quotation's sign-off ("― Esther Tapia."): the
    punctuation is the cue, and no verb names the speaker."""
    words = [t for t in clause if not (t.is_space or t.text in {'"', "'"})]
    if len(words) > 1 and words[0].text in _DASHES:
        name = [t for t in words[1:] if not t.is_punct]
        if name and all(t.pos_ == "PROPN" for t in name):
            mention = clause.doc[name[0].i : name[-1].i + 1]
            return Attribution(mention, words[0].text, words[0].idx, words[0].idx + 1)
    colon = next((t for t in words[: _LABEL_LENGTH + 1] if t.text == ":"), None)
    if colon is None or colon.i == words[0].i:
        return None
    start = words[0].i + (words[0].lower_ in _SAY_VERBS)
    before = clause.doc[start : colon.i]
    named = any(t.pos_ in {"PROPN", "NOUN"} for t in before)
    if named and all(t.pos_ in _LABEL_WORDS and not t.like_num for t in before):
        return Attribution(_trimmed(before), ":", colon.idx, colon.idx + 1)
    return None


def _is_cue(token: Token, *, embedded: bool) -> bool:
    """A speech or stance verb, on the clause's spine unless ``embedded``."""
    if token.pos_ not in {"VERB", "AUX"}:
        return False
    word = token.lower_
    if word in PARTICIPLE_CUES and token.dep_ == "advcl":
        return embedded or _on_spine(token.head)
    is_cue = word in CUE_VERBS or word in ATTITUDE_VERBS or _reports_that(token)
    return is_cue and not _is_raising(token) and (embedded or _on_spine(token))


def _reports_that(token: Token) -> bool:
    """A verb outside the lexicon with a "that" clause for its object ("Trump
    charges that ...", "the EU contended that ..."): its subject holds the
    content as true, which PolNeAR counts as an attribution."""
    if token.pos_ != "VERB":
        return False
    clauses = [c for c in token.children if c.dep_ == "ccomp"]
    return any(
        child.dep_ == "mark" and child.lower_ == "that"
        for clause in clauses
        for child in clause.children
    )


def _is_raising(token: Token) -> bool:
    """ "a soldier believed to be the first": a hedge on the soldier, not a speaker."""
    infinitives = [c for c in token.children if c.dep_ == "xcomp" and c.lower_ == "be"]
    return bool(infinitives) or any(c.dep_ == "auxpass" for c in token.children)


def _on_spine(token: Token) -> bool:
    return all(t.dep_ in _SPINE_DEPS for t in [token, *token.ancestors][:-1])


def _depth(token: Token) -> int:
    return sum(1 for _ in token.ancestors)


def _subject_of(cue: Token) -> Token | None:
    subjects = [c for c in cue.children if c.dep_ == "nsubj"]
    # '"Full panic mode," said Leslie Wimes': with two subjects, the parser took
    # the quotation's for the verb's own; the speaker is the inverted one.
    after = [c for c in subjects if c.i > cue.i]
    subject = after[0] if len(subjects) > 1 and after else None
    subject = subject or (subjects[0] if subjects else _noun_before(cue))
    subject = subject or _inverted_or_misparsed(cue)
    if subject is None and cue.dep_ in {"conj", "advcl"}:
        # "announced X and said Y", "X did Y, saying Z": the subject is shared.
        shared = [c for c in cue.head.children if c.dep_ == "nsubj"]
        subject = shared[0] if shared else None
    if subject is None or subject.lower_ in _NOT_SPEAKERS:
        return None
    # "Its leader, Roger Knapman, has said": the name in apposition; "Some, such
    # as Elizabeth Winkfield, said": the one the text names.
    named = [c for c in subject.children if c.dep_ == "appos" and c.pos_ == "PROPN"]
    named += _named_example(subject)
    return named[0] if subject.pos_ in {"NOUN", "PRON", "DET"} and named else subject


def _named_example(subject: Token) -> list[Token]:
    """The person named in "such as X" after a subject like "some" or "others"."""
    return [
        pobj
        for prep in subject.children
        if prep.dep_ == "prep" and prep.lower_ == "as"
        for pobj in prep.children
        if pobj.dep_ == "pobj" and pobj.pos_ == "PROPN"
    ]


def _inverted_or_misparsed(cue: Token) -> Token | None:
    """A speaker the parser did not make the cue's subject: after a trailing cue
    ("..., claimed the union organisation", parsed as its object) or a name before
    the cue given another role ("Mike Hobday, from the league, said")."""
    for child in cue.children:
        trailing = child.i > cue.i and child.dep_ == "dobj"
        if trailing and cue.i > 0 and cue.doc[cue.i - 1].text in {",", '"'}:
            return child
        if (
            child.i < cue.i
            and child.dep_ in {"npadvmod", "dep"}
            and child.pos_ == "PROPN"
        ):
            return child
    return None


def _noun_before(cue: Token) -> Token | None:
    """ "..., the NIS (NIS) said, per Yonhap." when the parser left "said" without a
    subject: the noun phrase right before the cue."""
    if cue.lower_ not in _SAY_VERBS or cue.i == 0:
        return None
    index = cue.i - 1
    doc = cue.doc
    while index > 0 and doc[index].is_punct and doc[index].text in {")", "]"}:
        index -= 1
    token = doc[index]
    if token.pos_ not in {"NOUN", "PROPN"}:
        return None
    while token.head.i < token.i and (
        token.dep_ == "compound" or (token.dep_ == "appos" and _in_brackets(token))
    ):
        token = token.head
    return token


def _has_content(cue: Token, clause: Span) -> bool:
    deps = {child.dep_ for child in cue.children}
    if deps & _CONTENT_DEPS:
        return True
    if "dobj" in deps and cue.lower_ in _OBJECT_CUES:
        return True
    if deps & {"dobj", "prep", "xcomp"} and cue.lower_ in ATTITUDE_VERBS:
        return True
    if cue.lower_ in PARTICIPLE_CUES:
        return True
    after = cue.doc[cue.i + 1] if cue.i + 1 < len(cue.doc) else None
    if after is not None and after.text == ":" and cue.lower_ in CUE_VERBS:
        return True  # 'X said: "Every day counts."' (the parser may miss the ccomp)
    # '"...," he said.' and "X happened, Y said." can leave the content unattached
    # to the verb, or make the verb a conjunct of the content.
    others = [t for t in clause if t.pos_ in {"VERB", "AUX"} and t.i != cue.i]
    trailing = cue.dep_ in {"ROOT", "parataxis", "conj", "ccomp"}
    # 'Full panic mode," said X': the end of a quotation with no verb left in it.
    quoted = any(t.text == '"' for t in clause.doc[clause.start : cue.i])
    return cue.lower_ in _TRAILING_CUES and trailing and (bool(others) or quoted)


def _in_brackets(token: Token) -> bool:
    return token.i > 0 and token.doc[token.i - 1].text in {"(", "["}


def name_span(head: Token) -> Span:
    """The speaker's name around its head noun, without relative clauses or
    parenthetical abbreviations: "South Korea's National Intelligence Service"."""
    keep = {head.i}
    stack = [head]
    while stack:
        token = stack.pop()
        for child in token.children:
            if _belongs_to_name(child):
                keep.add(child.i)
                stack.append(child)
    start = end = head.i
    while start - 1 in keep:
        start -= 1
    while end + 1 in keep:
        end += 1
    return _trimmed(head.doc[start : end + 1])


def _belongs_to_name(token: Token) -> bool:
    head = token.head
    if token.dep_ == "appos":
        # "Ukraine, South Korea, and the United States" parses as appositions; a
        # parenthetical "(NIS)" does not belong to the name.
        return any(child.dep_ == "cc" for child in head.children)
    if token.dep_ not in _NAME_DEPS:
        return False
    if token.dep_ == "prep":
        # "economist at Lehman Brothers" names the speaker by the firm; "Simon
        # Hall at Postbridge" only says where the named speaker was.
        where = token.lower_ in _PLACE_PREPOSITIONS and head.pos_ == "PROPN"
        return token.lower_ in _NAME_PREPOSITIONS and not where
    if token.i > head.i and token.dep_ in {"amod", "nummod", "det", "compound"}:
        return False  # "One soldier, bandaged and visibly shaken"
    if token.dep_ == "amod" and token.tag_ == "VBN":
        return False  # "Paris-based Euronext", "state-owned": not the name
    return not (token.dep_ == "punct" and token.text not in {",", "-", "'s"})


def _trimmed(span: Span) -> Span:
    start, end = span.start, span.end
    doc = span.doc
    while start < end - 1 and (doc[start].is_punct or doc[start].dep_ == "cc"):
        start += 1
    while end - 1 > start and (doc[end - 1].is_punct or doc[end - 1].dep_ == "cc"):
        end -= 1
    return doc[start:end]
