"""The project's own rules for the risk-language engine (notes/risk.py), as data.

Two kinds of rule, both read by medspaCy:

- Targets: what counts as risk language, with its category, its C-SSRS level where it has
  one, and whose risk the words themselves name (`who`). Idioms and accidents are targets too
  (category "idiom"): being longer, they win over the risk word inside them and are dropped.
  Qualifiers ("plan", "intent", "I would never do anything") are targets that only mean
  something next to a risk statement.
- Modifiers: ConText rules (negation, uncertainty, time, hypothetical context, who) that
  are added to medspaCy's own ConText lexicon.

Patterns are regular expressions over the sentence text, case-insensitive; clinical
abbreviations are matched in capitals only (`(?-i:SI)`), since "si" and "hi" are words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from notes.text import SMALL_NUMBERS

# Whose risk the matched words name, before context is considered:
# self: the speaker (or, in a clinician's documentation, the client); third: "he"/"she"/"himself"
# (another person in a client's own speech, the client in documentation); generic: "themselves";
# addressee: "yourself" (the client when a clinician says it); other: a named other person.
Who = Literal["self", "third", "generic", "addressee", "other"]
TargetKind = Literal["suicide", "self_harm", "harm_to_others", "abuse", "plan", "intent", "act", "idiom"]


@dataclass(frozen=True, slots=True)
class Target:
    kind: TargetKind
    pattern: str
    level: str | None = None
    who: Who = "self"
    # The phrase is itself a denial ("these days I don't"); negation inside it is not context.
    denial: bool = False
    # The words fix whose risk it is ("kill myself", "he hits me"): no context changes that.
    fixed: bool = False


@dataclass(frozen=True, slots=True)
class Modifier:
    category: str
    pattern: str
    direction: str = "FORWARD"
    terminated_by: frozenset[str] = field(default_factory=frozenset)


# --- vocabulary ------------------------------------------------------------------------------

_PEOPLE = (
    r"(?:friends?|best friend|brother|sister|mom|mother|mum|dad|father|parents?|son|daughter|kids?|child|children|"
    r"cousin|uncle|aunt|grandma|grandmother|grandpa|grandfather|husband|wife|partner|boyfriend|girlfriend|ex|"
    r"ex-\w+|roommate|coworker|co-worker|colleague|classmate|neighbou?r|stepdad|stepfather|stepmom|stepmother|"
    r"nephew|niece|teacher|boss|manager|supervisor|landlord|girl|boy|guy|man|woman|person|family|baby|fianc[ée]e?)"
)
_OBJECT = (
    rf"(?:him|her|them|someone|somebody|anyone|anybody|people|others|everyone|everybody|"
    rf"(?:my|his|her|their|our|the|that|this|a) (?:\w+ )?{_PEOPLE})"
)
_AGENT = rf"(?:he|she|they|(?:my|his|her|their|our|a|the) (?:\w+ )?{_PEOPLE}|\w+'s (?:\w+ )?{_PEOPLE}|partner|dad|mom)"
# Any form of the verb ("choke", "chokes", "choked", "choking").
_ABUSE_VERB = (
    r"(?:hit|beat|kick|punch|slap|chok|strangl|hurt|shov|push|grab|touch|rap(?:e|ed|es|ing)\b|molest|abus|attack|"
    r"strik|struck|whip|lock|forc|threaten|burn|bit(?:e|es|ing)?\b)\w*(?: up)?"
)
_BODY = r"(?:arms?|forearms?|wrists?|legs?|thighs?|stomach|skin|hips?|ankles?|chest)"
_REFLEXIVE: tuple[tuple[str, Who], ...] = (
    ("myself", "self"),
    ("(?:himself|herself)", "third"),
    ("(?:themselves|themself)", "generic"),
    ("yourself", "addressee"),
)
_POSSESSIVE: tuple[tuple[str, Who], ...] = (
    ("my", "self"),
    ("(?:his|her)", "third"),
    ("their", "generic"),
    ("your", "addressee"),
)


def _reflexive(kind: TargetKind, verbs: str, level: str | None = None, tail: str = "") -> list[Target]:
    """One target per reflexive pronoun, so the pronoun says whose act it is."""
    return [
        Target(kind, rf"\b{verbs} {pronoun}\b{tail}", level, who, fixed=who in ("self", "addressee"))
        for pronoun, who in _REFLEXIVE
    ]


def _own_life(verbs: str, level: str) -> list[Target]:
    return [Target("suicide", rf"\b{verbs} {pronoun} (?:own )?life\b", level, who) for pronoun, who in _POSSESSIVE]


def _after(words: tuple[str, ...], pattern: str) -> str:
    """`pattern` only where one of `words` precedes it (fixed-width look-behinds, one per word)."""
    return "(?:" + "|".join(rf"(?<=\b{w} )" for w in words) + rf"){pattern}"


# --- targets ---------------------------------------------------------------------------------

_WISH = "wish_to_be_dead"
_ACTIVE = "active_thoughts"

SUICIDE: list[Target] = [
    # Wish to be dead (passive ideation).
    Target(
        "suicide",
        r"\b(?:want(?:s|ed)?|wanting|wish(?:ed|es)?|hope|hoping|pray(?:ing)?) to (?:be dead|die)\b",
        _WISH,
    ),
    Target("suicide", r"\bwish(?:ed)? (?:that )?(?:I|you) (?:was|were|could be) dead\b", _WISH),
    Target("suicide", r"\bwant(?:s|ed)? to disappear (?:forever|for good|permanently)\b", _WISH),
    Target("suicide", r"\bwish I could (?:just )?disappear (?:forever|for good)\b", _WISH),
    Target(
        "suicide",
        r"\b(?:don't|do not|doesn't|didn't|no longer|not) (?:really |even )?(?:think I )?(?:want(?:s|ed)?|wish) to "
        r"(?:be alive|live|be here|wake up|exist|go on|keep going|keep living)\b",
        _WISH,
    ),
    Target("suicide", r"\b(?:better off|happier|fine|okay|better) (?:dead|without me)\b", _WISH),
    Target("suicide", r"\b(?:passive )?death wish\b", _WISH),
    Target(
        "suicide",
        r"\brather (?:be dead|die) than (?:keep |continue |go on |keep on )?(?:feeling|feel|living|live|going on|"
        r"being|be like this|this)\b",
        _WISH,
    ),
    Target(
        "suicide",
        r"\b(?:don't|do not|can't|cannot) see (?:a|any) (?:future|way out)\b|\bno future for me\b",
        _WISH,
    ),
    Target(
        "suicide",
        r"\b(?:better off|happier|easier|better) if I (?:just )?(?:was|were|wasn't|weren't|didn't|died|disappeared)"
        r"(?: (?:dead|gone|here|around|exist))?\b",
        _WISH,
    ),
    Target(
        "suicide",
        r"\b(?:no|no real|not any) (?:point|reason) (?:in|to|for) (?:me )?(?:to )?(?:keep )?"
        r"(?:living|live|going on|go on|being alive|be alive)\b",
        _WISH,
    ),
    Target(
        "suicide",
        r"\b(?:don't|do not|can't|cannot) see (?:the|any) point (?:in|of) (?:living|life|going on|being alive)\b",
        _WISH,
    ),
    Target("suicide", r"\bwhat's the point (?:of|in) (?:living|going on|being alive)\b", _WISH),
    Target("suicide", r"\btired of (?:living|being alive|life)\b", _WISH),
    # A classic warning sign even when it may mean "things must change": a glance is cheaper than a miss.
    Target(
        "suicide",
        r"\b(?:can't|cannot|can not) (?:go on|keep going|carry on)(?: (?:anymore|any longer|like this|living))?\b",
        _WISH,
    ),
    Target(
        "suicide",
        r"\b(?:life|living|my life) (?:isn't|is not|wasn't|ain't|is no longer) worth (?:living|it)\b",
        _WISH,
    ),
    Target(
        "suicide",
        r"\b(?:wish|wishing|hope|hoping|pray|praying)(?: that)? I (?:would |could |'d )?(?:just )?(?:die|be dead)\b",
        _WISH,
    ),
    Target("suicide", r"\bdie in my sleep\b", _WISH),
    Target("suicide", r"\b(?:go to sleep|fall asleep|sleep) and (?:never|not) wake up\b", _WISH),
    Target(
        "suicide",
        r"\b(?:hop(?:e|ing)|pray(?:ing)?|wish(?:ing)?) (?:that )?I (?:could |would )?(?:just )?"
        r"(?:not|won't|don't|wouldn't|never|didn't) wake up\b",
        _WISH,
    ),
    Target("suicide", r"\bwish(?:ed)? I (?:hadn't|had not|didn't|never) (?:woken|wake|woke) up\b", _WISH),
    Target(
        "suicide",
        r"\b(?:no one|nobody|no-one) would (?:even )?(?:notice|care|miss me) if I (?:was|were|died)\b",
        _WISH,
    ),
    Target(
        "suicide",
        r"\b(?:no one|nobody|no-one) would (?:even )?(?:notice|care|miss me) if I "
        r"(?:killed myself|took my (?:own )?life|ended my life|ended it)\b",
        _ACTIVE,
    ),
    Target("suicide", r"\bwish(?:ed)? (?:a|that a|the) (?:car|truck|bus|train) would (?:just )?hit me\b", _WISH),
    Target("suicide", r"\bwouldn't mind (?:dying|being dead|if I died|if I didn't wake up)\b", _WISH),
    Target(
        "suicide",
        r"\b(?:wouldn't mind|hope|hoping|wish|wishing|pray|praying)(?: that)?(?: if)? I (?:got|get|was|were|would get) "
        r"(?:hit|run over) by a (?:car|bus|truck|train)\b",
        _WISH,
    ),
    Target("suicide", r"\bthink(?:ing|s)? about (?:dying|death|being dead)\b", _WISH),
    Target("suicide", r"\bthoughts? (?:of|about) (?:wanting to die|death|being dead|dying)\b", _WISH),
    Target("suicide", r"\bwish to be dead\b", _WISH),
    Target("suicide", r"\bpassive (?:(?-i:SI)|suicidal (?:ideation|thoughts))\b", _WISH),
    Target("suicide", r"(?-i:\bSI\b)[^.;]{0,15}\bpassive\b", _WISH),
    # Non-specific active thoughts.
    *_reflexive("suicide", r"(?:kill|killing|kills|killed)", _ACTIVE),
    *_own_life(r"(?:end|ends|ending|ended|take|takes|taking|took|taken)", _ACTIVE),
    Target("suicide", r"\bend(?:ing)? it all\b", _ACTIVE),
    Target(
        "suicide",
        r"\b(?:thinking (?:about|of)|think about|want(?:ed)? to|might|just) end(?:ing)? it\b"
        r"(?! with| off| between| for)",
        _ACTIVE,
    ),
    Target(
        "suicide",
        r"\b(?:going to|gonna|will|'ll) end it (?:tonight|today|tomorrow|this week(?:end)?|soon)\b",
        "intent",
    ),
    Target("suicide", r"\bsuicid(?:e|al|ality)\b", _ACTIVE),
    Target("suicide", r"\bsuicidal (?:ideation|thoughts?|feelings?|urges?)\b", _ACTIVE),
    Target("suicide", r"\bactive (?:(?-i:SI)|suicidal ideation)\b", _ACTIVE),
    Target("suicide", r"(?-i:\bSI\b)"),
    Target("suicide", r"\b(?:died|dies|die) by suicide\b"),
    Target("suicide", r"\bcommit(?:ted|ting)? suicide\b", _ACTIVE),
    # Method.
    *_reflexive(
        "suicide",
        r"(?:hang|hangs|hanging|hanged|shoot|shoots|shooting|shot|drown|drowns|drowning|poison|poisons|poisoning)",
        "method",
    ),
    Target("suicide", r"\b(?:overdos(?:e|ing)|OD) on\b", "method"),
    Target("suicide", r"\btak(?:e|ing) all (?:of )?my (?:pills|meds|medications?|tablets)\b", "method"),
    Target("suicide", r"\bjump(?:ing)? (?:off|from|in front of) (?:a|the|my|that)\b", "method"),
    Target("suicide", r"\bslit(?:ting)? my wrists\b", "method"),
    Target("suicide", r"\bdriv(?:e|ing) my car (?:into|off)\b", "method"),
    Target(
        "suicide",
        r"\b(?:how|ways?) (?:(?:I|you|he|she) (?:would|could|might|will)|I'd|you'd|I'll|to) "
        r"(?:kill (?:myself|yourself|himself|herself)|end (?:my|your|his|her) life|do it|die)\b",
        "method",
    ),
    *_reflexive("suicide", r"\busing it on", "method"),
    # Intent and plan.
    Target(
        "suicide",
        r"\b(?:going to|gonna|will|'ll|decided to|intend(?:ing)? to|about to|made up my mind to) "
        r"(?:kill myself|end my (?:own )?life|take my (?:own )?life|end it all|commit suicide|overdose)\b",
        "intent",
    ),
    Target(
        "suicide",
        r"\bact(?:ing)? on (?:the |these |those |my |her |his )?suicidal (?:thoughts|urges|ideation)\b",
        "intent",
    ),
    Target("suicide", r"\bsuicidal intent\b", "intent"),
    Target(
        "suicide",
        r"\b(?:have|has|had|made|got) a (?:specific |detailed |concrete )?plan (?:to|for) "
        r"(?:kill|end|overdose|take|hang|jump|shoot|die|OD)\w*",
        "plan",
    ),
    Target(
        "suicide",
        r"\bplan(?:ning|s)? to (?:overdose|OD|kill myself|end my life|take my life|hang myself|jump|shoot myself)\b",
        "plan",
    ),
    Target("suicide", r"\bknow (?:exactly )?how and when\b", "plan"),
    # An intent with a time to it is a plan.
    Target(
        "suicide",
        r"\b(?:decided to|going to|gonna|planning to|plan to|will) (?:kill myself|end my (?:own )?life|"
        r"take my (?:own )?life|end it(?: all)?)\b[^.?!]{0,10}\b(?:on \w+day|next week|this week(?:end)?|tonight|"
        r"tomorrow|when|after|at \d)",
        "plan",
    ),
    Target("suicide", r"(?:(?-i:\bSI\b)|suicidal ideation) with (?:a )?plan\b", "plan"),
    # Preparatory behaviour.
    Target("suicide", r"\b(?:giv(?:e|es|ing)|gave|given) away\b", "preparatory"),
    Target(
        "suicide",
        r"\b(?:giv(?:e|es|ing)|gave|given) (?:all )?(?:of )?(?:my|his|her) (?:\w+ ){0,2}away\b",
        "preparatory",
    ),
    Target("suicide", r"\b(?:found|finding|find) a (?:new )?home for my (?:dog|cat|pets?)\b", "preparatory"),
    Target("suicide", r"\bgave my (?:dog|cat|pets?) (?:away|to)\b", "preparatory"),
    Target(
        "suicide",
        r"\b(?:look(?:ed|ing|s)?|search(?:ed|ing)?|googl(?:ed|ing)|research(?:ed|ing)?) (?:up |online |into )*"
        r"(?:how many|how much|how high|how far|how tall|where to (?:buy|get)|which|what|ways to|lethal|methods|how to|"
        r"pills)\b[^.?!]{0,40}"
        r"\b(?:pills?|die|kill|overdose|lethal|dose|doses|medication|meds|hang|suicide|work|high|bridge|jump|rope|"
        r"noose|gun|building)\b",
        "preparatory",
    ),
    Target("suicide", r"\blethal dos(?:e|es|age)\b", "preparatory"),
    Target(
        "suicide",
        r"\b(?:bought|buy|buying|got|getting|picked up|purchased|purchasing) (?:a|an|my|the) (?:new )?"
        r"(?:gun|firearm|handgun|pistol|rifle|shotgun)\b",
        "preparatory",
    ),
    Target("suicide", r"\b(?:goodbye|suicide|farewell) (?:letters?|notes?)\b", "preparatory"),
    Target("suicide", r"\b(?:letters?|notes?)\b[^.?!]{0,30}\bgoodbye\b", "preparatory"),
    Target("suicide", r"\bsa(?:id|ying|y) goodbye to (?:everyone|everybody)\b", "preparatory"),
    Target("suicide", r"\bsa(?:id|ying|y) (?:my|all my|our) goodbyes\b", "preparatory"),
    Target(
        "suicide",
        r"\b(?:put|putting|puts|get|getting|got) (?:my|all my) (?:affairs|things) in order\b",
        "preparatory",
    ),
    Target("suicide", r"\bwon't be (?:around|here) (?:much )?(?:longer|anymore|for long)\b", "preparatory"),
    Target(
        "suicide",
        r"\b(?:stockpil|hoard|sav|collect)(?:e|ed|ing) (?:up )?(?:my |all my |some |up my )?"
        r"(?:sleeping |pain |anxiety )?"
        r"(?:pills|meds|medications?|tablets)\b",
        "preparatory",
    ),
    Target("suicide", r"\b(?:got|have|bought|tied|hung|made) a (?:rope|noose)\b|\bnoose\b", "preparatory"),
    Target("suicide", r"\b(?:updated|made|wrote|writing|write|update) (?:my|a) will\b", "preparatory"),
    Target(
        "suicide",
        r"\b(?:engine|car|motor) running in the (?:closed )?garage\b|\bcarbon monoxide\b|"
        r"\bexhaust (?:pipe|fumes|hose)\b",
        "preparatory",
    ),
    Target(
        "suicide",
        r"\b(?:stood|standing|stand|went|climbed) (?:on|at|onto|to) the (?:edge|ledge|railing)\b",
        "preparatory",
    ),
    # Attempts.
    *_reflexive("suicide", r"(?:tried|try|trying|attempted) to (?:kill|hang|shoot|drown|poison)", "attempt"),
    *[
        Target("suicide", rf"\b(?:tried|attempted) to (?:end|take) {p} (?:own )?life\b", "attempt", w)
        for p, w in _POSSESSIVE
    ],
    Target("suicide", r"\battempt(?:ed|s)? suicide\b|\bsuicide attempts?\b|\bsuicidal attempts?\b", "attempt"),
    Target("suicide", r"\b(?:my|his|her|a) (?:first |last |second |previous |prior |recent )?attempt\b", "attempt"),
    Target("suicide", _after(("hx", "hx of", "history of", "h/o", "prior", "previous"), r"(?-i:SA)\b"), "attempt"),
    Target("suicide", r"\boverdosed\b|\bOD'd\b|\b(?:took|taken|had) an overdose\b", "attempt"),
    Target("suicide", r"\b(?:tried|try|trying|attempted) to (?:overdose|OD)\b", "attempt"),
    Target(
        "suicide",
        r"\btook (?:a bunch of|all (?:of )?my|too many|a handful of) (?:pills|meds|tablets)\b",
        "attempt",
    ),
]

SELF_HARM: list[Target] = [
    *_reflexive(
        "self_harm",
        r"(?:cut|cuts|cutting|burn|burns|burned|burnt|burning|hurt|hurts|hurting|harm|harms|harmed|harming|hit|hits|"
        r"hitting|punish|punishing|scratch|scratching|scratched|injure|injuring|injured|mutilate|mutilating|punch|"
        r"punches|punched|punching|slap|slapped|slapping|bite|biting|bit|starve|starving|starved)",
    ),
    Target("self_harm", r"\bself[- ]?harm(?:ing|ed|s)?\b|\bself[- ]?injur\w*|\bself[- ]?mutilat\w*"),
    Target("self_harm", r"(?-i:\bNSSI\b)|(?-i:\bSH\b)|\bnon-?suicidal self-?injury\b"),
    Target("self_harm", rf"\bcut(?:ting|s)? (?:on |into )?(?:my|her|his) (?:\w+ )?{_BODY}\b"),
    Target("self_harm", rf"\bcuts\b[^.;]{{0,40}}\b{_BODY}\b"),
    Target("self_harm", rf"\bburn(?:ed|t|s|ing)? (?:on |into )?(?:my|her|his) (?:\w+ )?{_BODY}\b"),
    Target(
        "self_harm",
        _after(
            (
                "stopped",
                "stop",
                "quit",
                "started",
                "start",
                "keep",
                "kept",
                "been",
                "still",
                "urge to",
                "urges to",
                "stop myself from",
                "keep myself from",
                "on",
                "about",
                "the",
                "my",
                "from",
                "of",
            ),
            r"(?:cutting|burning)\b",
        ),
    ),
    Target(
        "self_harm",
        _after(
            ("used to", "I", "not to"),
            r"(?:cut|burn)\b(?= (?:again|last|yesterday|today|tonight|"
            r"this|on|when|in|anymore|any more|myself|\.))",
        ),
    ),
    Target("self_harm", r"\bcut(?:ting)? (?:anymore|any more)\b"),
    Target("self_harm", rf"\bscratch(?:ing|ed)? (?:my|her|his) (?:\w+ )?{_BODY}\b[^.]{{0,20}}\bbleed"),
    Target("self_harm", r"\bbang(?:ing|ed|s)? (?:my|her|his) head\b"),
    Target("self_harm", r"\bpunch(?:ing|ed|es)? (?:the )?walls?\b"),
    Target("self_harm", r"\bcarv(?:e|es|ing|ed) (?:into )?(?:my|her|his)\b"),
    Target("self_harm", r"\b(?:hide|hid|hiding|keep|kept|carry|carrying) (?:a |the |my |some )?(?:razor )?blades?\b"),
]

HARM_TO_OTHERS: list[Target] = [
    Target(
        "harm_to_others",
        r"\b(?:hurt|hurting|harm|harming|kill|killing|killed|stab|stabbing|stabbed|shoot|shooting|strangle|strangling|"
        r"beat|beating|beat up|attack|attacking|attacked|punch|punching|murder|murdering|murders|choke|choking|hit|"
        rf"hitting|assault|assaulting|kills|hurts|stabs|shoots) {_OBJECT}\b",
    ),
    Target("harm_to_others", r"\bmake (?:him|her|them) (?:hurt|suffer|bleed)\b"),
    Target(
        "harm_to_others",
        r"\b(?:smash|smashing|bash|bashing|break|breaking|cave|caving|kick|kicking|punch|punching) (?:in )?"
        r"(?:his|her|their|your|that \w+'s) (?:face|head|skull|teeth|jaw|legs|nose)\b",
    ),
    Target("harm_to_others", rf"\blay (?:a )?(?:hand|finger) on {_OBJECT}\b"),
    Target(
        "harm_to_others",
        r"\b(?:gun|knife|weapon|rifle|pistol|bat)\b[^.?!]{0,30}"
        r"\b(?:go(?:ing)?|drive|driving|head(?:ing)?|show(?:ing)? up)"
        r" (?:to|over to|at) (?:his|her|their|that \w+'s) (?:house|place|work|apartment|office|school)\b",
    ),
    Target("harm_to_others", r"\bhomicid(?:al|e)\b|(?-i:\bHI\b)|\bassault charges?\b"),
    Target("harm_to_others", r"\bviolent (?:thoughts|urges|fantasies) (?:toward|towards|about)\b"),
    Target("harm_to_others", r"\bshoot up (?:the|his|her|my|a|our) (?:school|office|workplace|church|work)\b"),
    Target(
        "harm_to_others",
        r"\b(?:bought|got|get|getting|buy|have) (?:a|an|my|the) (?:gun|knife|weapon|firearm|bat|rifle)\b[^.?!]{0,30}"
        r"\b(?:deal with|take care of|use (?:it )?on|hurt|scare) (?:him|her|them|my|his|that)\b",
    ),
]

ABUSE: list[Target] = [
    Target("abuse", rf"\b{_ABUSE_VERB} (?:me|us|the client|client|pt|the patient)\b", fixed=True),
    Target("abuse", rf"\b{_AGENT} (?:\w+ )?{_ABUSE_VERB} (?:her|him|them)\b", who="third"),
    Target("abuse", rf"\b{_AGENT} (?:\w+ )?{_ABUSE_VERB} (?:my|his|her|their) (?:\w+ )?{_PEOPLE}\b", who="other"),
    Target("abuse", rf"\b(?:{_ABUSE_VERB}|hurting|hitting) you\b", who="addressee", fixed=True),
    Target("abuse", r"\bthreaten(?:ed|s|ing)? to (?:hurt|kill|beat|hit) (?:me|us)\b", fixed=True),
    Target("abuse", r"\bthreaten(?:ed|s|ing)? to (?:hurt|kill|beat|hit) (?:her|him)\b", who="third"),
    Target(
        "abuse",
        r"\b(?:said|says|told me) (?:that )?(?:he|she|they)(?:'d|'ll| would| will|'s going to) (?:hurt|kill) me\b",
        fixed=True,
    ),
    Target("abuse", r"\b(?:he|she|they)(?:'ll| will) hurt me\b", fixed=True),
    Target(
        "abuse",
        r"\b(?:being|been|was|were|got|get|is|am) (?:sexually |physically )?"
        r"(?:hit|beaten|kicked|punched|slapped|choked|raped|molested|abused|assaulted|threatened|attacked|strangled)\b",
    ),
    Target("abuse", r"\babus(?:e|ed|es|ing|ive)\b|\bmolest\w*|\brap(?:e|ed|es|ing)\b"),
    Target("abuse", r"\bsexual(?:ly)? (?:assault\w*|abus\w*)|\bdomestic violence\b|\bintimate partner violence\b"),
    Target("abuse", r"(?-i:\bDV\b)|(?-i:\bIPV\b)"),
    Target("abuse", rf"\b(?:afraid|scared|terrified) (?:of (?:him|her|my (?:\w+ )?{_PEOPLE})|to go home)\b"),
    Target("abuse", r"\b(?:won't|doesn't|does not|will not) let me (?:leave|go out|see|talk|have)\b", fixed=True),
    Target("abuse", r"\bforc(?:ed|es|ing) me to\b", fixed=True),
]

QUALIFIERS: list[Target] = [
    Target("plan", r"\b(?:a |any |specific |the )?plans?\b", "plan"),
    Target("intent", r"\b(?:any |the |with )?intent(?:ion)?s?\b(?! to (?:return|come|go|attend))", "intent"),
    Target(
        "act",
        r"\b(?:do|doing) (?:anything|it|something|that)(?: about (?:it|them))?\b|\bact(?:ing)? on (?:it|them|those|"
        r"these|the thoughts|my thoughts|the urges?|that|any of it)\b|\bgo(?:ing)? through with (?:it|that)\b|"
        r"\bfollow through\b|\bactually do\b",
        "intent",
    ),
    Target(
        "act",
        r"\b(?:these days|now|nowadays) I (?:don't|do not)\b|\bI (?:don't|do not) anymore\b|\bnot anymore\b|"
        r"\bI (?:won't|will not|wouldn't|would not)\b(?=\s*(?:[.,;!]|$))|\bI'm not going to\b(?=\s*(?:[.,;!]|$))",
        denial=True,
    ),
]

IDIOMS: list[Target] = [
    Target("idiom", r"\bcut (?:myself|yourself|himself|herself|him|her|me|them) (?:some )?slack\b"),
    Target("idiom", r"\bbeat(?:ing|s)? (?:myself|yourself|himself|herself|themselves) up\b"),
    Target(
        "idiom",
        r"\b(?:cut|cuts|burn|burned|burnt|hurt|hit)(?: myself| my \w+)? (?:shaving|cooking|chopping|on the|by accident|"
        r"accidentally|at work|while|in the kitchen|on a|with the (?:knife|iron|pan|kettle))\b",
    ),
    Target("idiom", r"\b(?:safety|treatment|care|discharge|crisis) plans?\b|\bplan of care\b"),
    Target("idiom", r"\b(?:substance|alcohol|drug|opioid|cannabis|marijuana|stimulant|polysubstance) abuse\b"),
    Target("idiom", r"\b(?:it|that|reality|this) (?:really |finally |just )?hit me\b"),
    Target("idiom", r"\bbeat (?:me|us|him|her|them) (?:at|in|to)\b"),
    Target(
        "idiom",
        r"\boverdos(?:ed|ing) on (?:netflix|tv|television|sugar|caffeine|coffee|chocolate|candy|junk food|video games|"
        r"social media|work|\w+ shows)\b",
    ),
    Target("idiom", r"\bshoot (?:him|her|them|me|you) (?:a|an) (?:text|email|message|note|line)\b"),
    Target("idiom", r"\bhit (?:him|her|them|me) up\b"),
    Target("idiom", r"\b(?:got|get|was|were|been) (?:hit|run over) by a (?:car|bus|truck|train|bike|ball)\b"),
    Target("idiom", r"\bhurt (?:his|her|their|my|your) feelings\b"),
    Target("idiom", r"\b(?:it|that|this) (?:really |still )?hurts? (?:me|us)\b"),
    Target("idiom", r"\bpush(?:es|ed)? (?:me|us) to (?!the\b)\w+"),
    Target("idiom", r"\bkill(?:s|ed|ing)? (?:him|her|them) with kindness\b"),
]

TARGETS: list[Target] = [*SUICIDE, *SELF_HARM, *HARM_TO_OTHERS, *ABUSE, *QUALIFIERS, *IDIOMS]


# --- context: negation, doubt, time, hypothetical, who ---------------------------------------

# Each context is one NegEx pass (negspacy) with its own trigger phrases: "preceding" phrases
# qualify risk words after them in the sentence, "following" phrases the words before them,
# "pseudo" phrases look like triggers but are not, and "termination" phrases end a trigger's
# reach. Phrases match whole tokens, lower-cased.
NEGATED = "negated"
NEGATED_AFTER = "negated_after"
POSSIBLE = "possible"
HISTORICAL = "historical"
RECENT = "recent"
HYPOTHETICAL = "hypothetical"
CONDITIONAL = "conditional"
OTHER = "other"
THIRD = "third"
DENIED_NOW = "denied_now"


@dataclass(frozen=True, slots=True)
class Context:
    name: str
    preceding: tuple[str, ...] = ()
    following: tuple[str, ...] = ()
    pseudo: tuple[str, ...] = ()
    termination: tuple[str, ...] = ()
    # Start from negspacy's clinical negation lexicon (less LIBRARY_EXCLUDED).
    extends_library: bool = False


_NUMBER_WORDS = (*SMALL_NUMBERS[5:], "thirty", "forty")
_AGES = tuple(str(n) for n in range(3, 41)) + tuple(_NUMBER_WORDS)
_YEARS = tuple(str(y) for y in range(1950, 2036))
_FEW = ("a few", "a couple of", "couple of", "two", "three", "four", "five", "six", "several", *map(str, range(1, 31)))
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# A first-person subject starts a new clause: "No, I want to die", "he lives nearby and I'm going to hurt him".
_NEW_CLAUSE = ("i",)
# "I don't think I want to..." still denies: the second "I" does not end the negation.
_RAISED = ("think i", "feel like i", "believe i", "think that i", "say i", "know i")
_NOT_STOPPING = (
    "haven't stopped",
    "hasn't stopped",
    "hadn't stopped",
    "can't stop",
    "cannot stop",
    "couldn't stop",
    "could not stop",
    "can not stop",
    "have not stopped",
)
_DOUBT = (
    "not sure",
    "unsure",
    "don't know if",
    "do not know if",
    "don't know whether",
    "can't promise",
    "cannot promise",
    "can't say",
    "cannot say",
    "can't guarantee",
    "could not rule out",
    "couldn't rule out",
    "can't rule out",
    "cannot rule out",
    "did not rule out",
    "not certain",
    "might",
    "maybe",
    "possibly",
    "possible",
    "not like i don't",
    "not like i do not",
    "not like i never",
    "not like i haven't",
    "never said i wasn't",
    "never said i didn't",
    "wouldn't say i'm not",
    "pretend i don't",
    "pretend i do not",
    "pretend i'm not",
    "pretend i haven't",
    "doubt",
    "concerned about",
    "worried about",
)
_WHEN_I_WAS = tuple(
    f"when i was {w}"
    for w in (
        "a kid",
        "a child",
        "a teen",
        "a teenager",
        "a boy",
        "a girl",
        "a baby",
        "little",
        "young",
        "younger",
        "in high school",
        "in middle school",
        "in college",
        "in school",
        *_AGES,
    )
)
_PAST = (
    *_WHEN_I_WAS,
    "as a kid",
    "as a child",
    "as a teen",
    "as a teenager",
    "as a boy",
    "as a girl",
    "in high school",
    "in middle school",
    "in elementary school",
    "in grade school",
    "in college",
    "growing up",
    "in my teens",
    "in my twenties",
    "in my thirties",
    "in my youth",
    "back in",
    "back when",
    "years ago",
    "decades ago",
    "months ago",
    "a long time ago",
    "long ago",
    *(f"in {y}" for y in _YEARS),
    "at age",
    "at the age of",
    "from age",
    "since age",
    "in adolescence",
    "in childhood",
    "last year",
    "before i left",
    "before i got out",
    "before i moved out",
    "before i got sober",
    "stopped",
    "quit",
)
_RECENT = (
    "again",
    "last night",
    "yesterday",
    "today",
    "tonight",
    "this week",
    "this morning",
    "this weekend",
    "this month",
    "this evening",
    "last week",
    "last weekend",
    "recently",
    "lately",
    "right now",
    "currently",
    "these days",
    "still",
    *(f"on {d}" for d in _DAYS),
    *(f"{n} days ago" for n in _FEW),
    *(f"{n} weeks ago" for n in _FEW),
    "a day ago",
    "a week ago",
)
_MEDIA = (
    "movie",
    "movies",
    "film",
    "films",
    "show",
    "tv show",
    "series",
    "book",
    "novel",
    "documentary",
    "song",
    "songs",
    "poem",
    "story",
    "news story",
    "article",
    "video",
    "episode",
    "lyrics",
    "character",
    "the news",
    "joke about",
    "jokes about",
    "joking about",
    "joked about",
    "meme",
    "memes",
    "people say",
    "people said",
    "people always say",
    "people who",
    "they say",
    "some people",
    "many people",
    "most people",
    "lots of people",
    "a lot of people",
    "people have",
    "people get",
    "people feel",
    "people often",
    "people sometimes",
    "people can have",
    "when people",
    "it's common",
    "it is common",
    "common to have",
    "many clients",
    "some clients",
    "in the comments",
    "education",
    "psychoeducation",
    "warning signs",
    "risk factors",
    "questions about",
    "screening for",
    "screening questions",
)
_DENIED_NOW = (
    "currently denies",
    "currently denied",
    "now denies",
    "denies today",
    "denied today",
    "denies currently",
    "denies now",
    "denies at this time",
    "none currently",
    "none now",
    "but not now",
    "but not anymore",
    "not anymore",
)
PEOPLE_WORDS = (
    "friend",
    "friends",
    "best friend",
    "brother",
    "sister",
    "mom",
    "mother",
    "mum",
    "dad",
    "father",
    "parent",
    "parents",
    "son",
    "daughter",
    "kid",
    "kids",
    "child",
    "children",
    "cousin",
    "uncle",
    "aunt",
    "grandma",
    "grandmother",
    "grandpa",
    "grandfather",
    "husband",
    "wife",
    "partner",
    "boyfriend",
    "girlfriend",
    "ex",
    "roommate",
    "coworker",
    "co-worker",
    "colleague",
    "classmate",
    "neighbor",
    "neighbour",
    "stepdad",
    "stepfather",
    "stepmom",
    "stepmother",
    "nephew",
    "niece",
    "teacher",
    "boss",
    "manager",
    "supervisor",
    "landlord",
    "girl",
    "boy",
    "guy",
    "man",
    "woman",
    "person",
    "family",
    "baby",
    "fiance",
    "fiancee",
)
_OWNERS = ("my", "his", "her", "their", "our", "your", "client's", "pt's", "patient's", "a", "the", "this", "'s")
_KIN = (
    "friend",
    "brother",
    "sister",
    "son",
    "daughter",
    "kid",
    "kids",
    "cousin",
    "boyfriend",
    "girlfriend",
    "husband",
    "wife",
)
_ADJECTIVES = ("best", "little", "big", "older", "younger", "teenage", "oldest", "youngest", "ex", "ex-")
# Phrases are few enough to build quickly: every owner with every person, adjectives only for kin.
_OTHERS = (
    *(f"{owner} {person}" for owner in _OWNERS for person in PEOPLE_WORDS),
    *(f"{owner} {adj} {kin}" for owner in _OWNERS[:6] for adj in _ADJECTIVES for kin in _KIN),
)

CONTEXTS: tuple[Context, ...] = (
    Context(
        NEGATED,
        preceding=(
            "n't",
            "not",
            "never",
            "no",
            "nobody",
            "no one",
            "none",
            "nothing",
            "without",
            "w/o",
            "deny",
            "denies",
            "denied",
            "denying",
            "negative for",
            "no evidence of",
            "free of",
            "ruled out",
        ),
        following=(
            ": denies",
            ": denied",
            ": none",
            ": negative",
            ": neg",
            ": no",
            ": absent",
            "- denies",
            "- none",
            "none reported",
        ),
        pseudo=(
            *_RAISED,
            *_NOT_STOPPING,
            *_DOUBT,
            "not going to lie",
            "not going to pretend",
            "no doubt",
            "not only",
            "nothing helps",
            "nothing works",
            "nothing matters",
            "no matter",
        ),
        termination=(*_NEW_CLAUSE, ";"),
        extends_library=True,
    ),
    # "HI denied.", "SI negative": a denial right after the words, before the clause ends.
    Context(
        NEGATED_AFTER,
        following=("denied", "denies", "negative", "absent", "not present", "not endorsed"),
        termination=(",", ";", "and", "but", "endorsed", "endorses", "reported", "reports", "with"),
    ),
    Context(POSSIBLE, preceding=_DOUBT, following=("not ruled out", "possible", "might be"), termination=("but", ";")),
    Context(
        HISTORICAL,
        preceding=(
            "used to",
            "prior",
            "previous",
            "previously",
            "former",
            "formerly",
            "past",
            "hx",
            "h/o",
            "history",
            "history of",
            "in the past",
            *_PAST,
        ),
        following=_PAST,
        pseudo=_NOT_STOPPING,
        termination=("but", "however", "though", "although", ";"),
    ),
    Context(RECENT, preceding=_RECENT, following=_RECENT, pseudo=_DENIED_NOW, termination=("but", "however", ";")),
    Context(
        CONDITIONAL,
        preceding=(
            "if",
            "if i ever",
            "if you ever",
            "if he ever",
            "if she ever",
            "if they ever",
            "what to do if",
            "in case",
            "what would happen if",
            "hypothetically",
            "imagine",
        ),
        # "I don't know if I can keep myself from cutting" asks nothing hypothetical.
        pseudo=("know if", "sure if", "see if", "wonder if", "wondering if", "ask if", "asked if", "check if", "as if"),
        termination=("i will", "i'll", "i would", "i'd", "i'm going to", "i am going to", "i'm gonna", "then i", ";"),
    ),
    Context(
        HYPOTHETICAL,
        preceding=_MEDIA,
        termination=("and then", "afterwards", "after that", "made me", "which made", ";"),
    ),
    Context(OTHER, preceding=_OTHERS, termination=(*_NEW_CLAUSE, ";")),
    Context(THIRD, preceding=("he", "she", "they"), termination=(*_NEW_CLAUSE, ";")),
    Context(DENIED_NOW, preceding=_DENIED_NOW, following=_DENIED_NOW, termination=(";",)),
)

# negspacy's clinical lexicon entries that mislead here: screening is not denial ("evaluate for SI"),
# "rule out" and "doubt" are doubt, and "wasn't"/"free" after a statement rarely deny it
# ("He hit me, it wasn't the first time").
LIBRARY_EXCLUDED = frozenset(
    {
        "evaluate for",
        "rule out",
        "rules out",
        "r/o",
        "ro",
        "versus",
        "doubt",
        "symptoms atypical",
        "declined",
        "was not",
        "were not",
        "wasn't",
        "wasnt",
        "weren't",
        "werent",
        "free",
    }
)

# --- answers to a clinician's screening question ---------------------------------------------

YES_ANSWER = (
    r"^(?:yes|yeah|yep|yup|sometimes|a little|a bit|kind of|sort of|i have|i do|i did|uh huh|mm-hmm|most days|"
    r"every day|a few times|once|twice|all the time|lately|constantly|definitely|honestly,? yes|i guess)\b"
)
NO_ANSWER = r"^(?:no|nope|never|not really|not at all|none|nah|i haven't|i don't|i'm not|not lately|no way)\b"

# --- protective factors the client names -----------------------------------------------------

PROTECTIVE_CUES = (
    r"\b(?:couldn't|could not|wouldn't|would not|can't|cannot|never) (?:do (?:that|this|it) to|leave|hurt|abandon)\b|"
    r"\bkeeps? me (?:going|alive|here|safe)\b|\breasons? (?:for|to) (?:live|living|keep going|stay alive)\b|"
    r"\bbecause of my\b|\bneeds? me\b|\bholds? me back\b|\bthink(?:ing)? (?:of|about) my\b|\bfor my (?:kids|children|"
    r"son|daughter|family)\b|\bmy faith\b|\bpray\b|\blooking forward\b|\bsafety plan\b|\bno access to\b"
)
PROTECTIVE_FACTORS: dict[str, str] = {
    "children": r"\b(?:kids|children|son|daughter|baby|grandkids|grandchildren)\b",
    "family": r"\b(?:mom|mother|mum|dad|father|family|wife|husband|partner|sister|brother|parents|nephew|niece)\b",
    "pets": r"\b(?:dog|cat|pets?)\b",
    "faith": r"\b(?:faith|god|church|religion|religious|pray)\b",
    "future plans": r"\b(?:future|looking forward|graduat\w+|wedding)\b",
    "treatment": r"\b(?:therapy|therapist|treatment|safety plan|counsel(?:l)?ing)\b",
    "social support": r"\b(?:friends?|support group)\b",
    "no access to means": r"\bno access to\b",
}
