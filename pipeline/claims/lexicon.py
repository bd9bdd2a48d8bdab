"""Word lists the rules match against, lower-cased word forms (no lemmatizer runs).

Kept in one place so that a reader can see, and a desk can extend, what counts as a
cue, a hedge or a prediction without reading the tree-walking code.
"""

from __future__ import annotations

from pipeline.calendar import MONTHS, WEEKDAYS


def word_list(text: str) -> list[str]:
    """The whitespace-separated words of a block of text, in order."""
    return text.split()


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a block of text."""
    return frozenset(text.split())


#: Verbs that introduce what someone asserts (reported speech, statements).
CUE_VERBS = word_set(
    """
    say says said saying tell tells told confirm confirms confirmed confirming
    announce announces announced announcing state states stated add adds added
    report reports reported reporting estimate estimates estimated claim claims
    claimed write writes wrote note notes noted explain explains explained
    reveal reveals revealed indicate indicates indicated acknowledge
    acknowledges acknowledged admit admits admitted deny denies denied insist
    insists insisted argue argues argued emphasize emphasizes emphasized
    emphasise emphasised stress stresses stressed warn warns warned declare
    declares declared assert asserts asserted allege alleges alleged accuse
    accuses accused disclose disclosed mention mentions mentioned show shows
    showed shown find finds found learn learned learnt tweet tweets tweeted post
    posted testify testified maintain maintains maintained contend contends
    contended concede conceded conclude concluded disclose discloses recall
    recalled suggest suggests suggested describe described cite cites cited
    quote quoted underline underlines underlined recalls
    """
)

#: Words and phrases that weaken certainty, lower-cased.
HEDGE_WORDS = word_set(
    """
    reportedly allegedly purportedly apparently supposedly seemingly possibly
    probably presumably preliminary unconfirmed unverified alleged suspected
    unclear rumoured rumored purported
    """
)

#: Hedges only as verbs: "the agency estimates that", "Ukraine claims to have";
#: the nouns ("counter claims", "estimates for December") are not hedges.
HEDGE_VERBS = word_set(
    """
    estimate estimates estimated claim claims claimed accuse accuses accused
    allege alleges
    """
)

#: Hedges when "to" or "that" follows: "appear to be", "believed to be".
HEDGE_BEFORE_TO = word_set("appear appears appeared seem seems seemed believed")

#: Participles that hedge after a form of "be": passive reporting ("is said to",
#: "it is understood", "had been expected").
PASSIVE_REPORTING = word_set(
    """
    said reported thought believed understood expected feared rumoured rumored
    estimated alleged
    """
)
BE_FORMS = word_set("is are was were be been being 's")

#: Modal verbs that present a claim as possible, not certain: "may be cut".
HEDGE_MODALS = word_set("may might could should")

#: Multi-word hedges, matched on the lower-cased clause text.
HEDGE_PHRASES = (
    "according to unconfirmed",
    "according to reports",
    "press reports",
    "amid rumours",
    "amid rumors",
    "amid speculation",
    "there have been rumours",
    "on the cards",
    "almost certainly",
    "is likely to",
    "are likely to",
    "we suspect",
)

#: Cues of a forecast or a wish: not a claim when the subject is "I" or "we"
#: (see pipeline.claims.assertion); someone else's forecast is a claim.
NON_ASSERTING_VERBS = word_set(
    """
    predict predicts predicted predicting forecast forecasts forecasted expect
    expects expected hope hopes hoped wish wishes wished want wants wanted hint
    hints hinted speculate speculates speculated guess guessed think thinks plan
    plans planned intend intends intended promise promises promised propose
    proposes proposed urge urges urged vow vows vowed threaten threatens
    threatened fear fears feared
    """
)

#: Modal verbs that make a clause hypothetical or future: a claim only when a
#: source, a figure or a date makes it checkable (pipeline.claims.assertion).
MODALS = word_set(
    """
    will would could might may shall should must 'll 'd ought
    """
)

#: Month and weekday names: a clause that names one places its event in time.
#: "May" is left out: a modal far more often than a month.
#: Abbreviations are left out too ("Jan", "Mar").
CALENDAR_WORDS = frozenset(WEEKDAYS) | {
    name for name in MONTHS if len(name) > 3 and name != "sept"
}

#: Adjectives that turn "it is X that ..." into an opinion.
OPINION_ADJECTIVES = word_set(
    """
    clear obvious important necessary good bad great terrible wrong right sad
    unacceptable ridiculous outrageous shameful likely possible unlikely true
    fair unfair crucial vital disgraceful wonderful
    """
)

#: Titles and roles that make an unnamed speaker a person.
PERSON_TITLES = word_set(
    """
    president vice-president minister secretary spokesperson spokesman
    spokeswoman official officials advisor adviser senator governor mayor
    general commander chief director ambassador envoy lawmaker lawmakers
    legislator prime premier sir mr mrs ms dr lord lady king queen prince leader
    chancellor diplomat diplomats analyst analysts expert experts officer
    officers lieutenant colonel captain sergeant soldier soldiers representative
    rep congressman congresswoman judge prosecutor attorney professor researcher
    scientist doctor witness witnesses resident residents chairman chairwoman
    chair ceo founder candidate nominee speaker pope aide aides staffer bishop
    archbishop cardinal rabbi imam vicar
    """
)

#: Words that name state bodies: these speakers are governments.
GOVERNMENT_WORDS = word_set(
    """
    ministry department government administration kremlin pentagon parliament
    congress senate cabinet military army navy police intelligence security
    embassy council authorities authority agency ministry's forces command
    office presidency commission bureau nis sbu ssu fbi cia nsa kgb fsb gru mod
    white house prosecutor's court state
    """
)

#: Nouns for bodies that are not the state: a speaker "from" one of them speaks
#: for an organisation ("union officers", "the company's spokesman").
BODY_WORDS = word_set(
    """
    union unions company companies firm firms party parties group bank banks
    association federation charity club board industry business corporation
    """
)

#: Capitals and countries used as the name of their government ("Kyiv said").
GOVERNMENT_METONYMS = word_set(
    """
    kyiv kiev moscow pyongyang seoul washington beijing tokyo london paris
    berlin tehran jerusalem ankara brussels
    """
)

#: News agencies and outlets.
MEDIA_NAMES = word_set(
    """
    yonhap afp reuters ap bbc cnn nbc cbs abc fox msnbc npr pbs bloomberg tass
    ria interfax xinhua kcna anadolu breitbart politico axios ft itv sky
    """
)

#: Words in a name that make it a news outlet ("ABC News", "The New York Post").
MEDIA_WORDS = word_set(
    """
    news newspaper post times journal tribune herald gazette telegraph guardian
    broadcaster outlet magazine television tv radio press wire daily network
    channel
    """
)

#: Speaker nouns that carry no identity; kept as named, typed unknown.
ANONYMOUS_SOURCES = frozenset(["source", "sources", "report", "reports", "people"])

#: Verbs that ascribe a stance or an intention to someone (PolNeAR's wider sense of
#: attribution): their subject is the speaker even when the content is an object.
ATTITUDE_VERBS = word_set(
    """
    believe believes believed think thinks thought want wants wanted support
    supports supported oppose opposes opposed attack attacks attacked criticize
    criticizes criticized criticise criticised blame blames blamed praise
    praised praises call calls called urge urges urged ask asks asked agree
    agrees agreed disagree disagreed question questions questioned view views
    viewed characterize characterized tout touts touted vow vows vowed pledge
    pledges pledged promise promises promised warn warns warned echo echoes
    echoed respond responded reply replied answer answered demand demands
    demanded reject rejects rejected dismiss dismissed welcome welcomed condemn
    condemns condemned defend defends defended slam slammed blast blasted mock
    mocked highlight highlighted express expresses expressed fear fears feared
    hope hopes hoped expect expects expected predict predicts predicted plan
    plans planned intend intends intended hint hinted argue argued insist
    insisted recognize recognized acknowledge
    """
) | word_set(
    # Stance and action verbs PolNeAR annotates as attributions ("Trump openly
    # admires Putin", "the campaign has pointed out ..."); adding them raised
    # speaker recall on PolNeAR dev from 0.52 to 0.56 at precision 0.88.
    """
    chant chants chanted chanting identify identifies identified identifying see
    sees saw describe describes described describing mention mentions mentioned
    point points pointed refuse refuses refused decline declines declined
    promising encourage encourages encouraged encouraging demanding decide
    decides decided offer offers offered offering stressing discuss discusses
    discussed discussing telling propose proposes proposed understand understood
    feel feels felt know knows knew worry worries worried endorse endorses
    endorsed release releases released rule rules ruled rate rates rated compare
    compares compared comparing admire admires admired questioning promote
    promotes promoted proclaim proclaims proclaimed address addresses addressed
    reference references referenced accusing liken likens likened calling
    urging asking warning criticizing attacking
    """
)

#: Participles that attach a second attribution to the main verb's subject
#: ("..., saying the deal was dead").
PARTICIPLE_CUES = word_set(
    """
    saying adding claiming noting arguing insisting warning accusing citing
    """
)
