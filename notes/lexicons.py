"""Word lists the offline drafter reads a session with: what a sentence does (greeting,
back-channel, question), which clinical topic it is about, and which technique a clinician
used. Plain regular expressions so a clinician can read and extend them."""

from __future__ import annotations

import re


def cue(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Sentence acts that never belong in a note.
GREETING = cue(
    r"^\W*(?:(?:hi|hello|hey|good (?:morning|afternoon|evening)|welcome(?: back)?|nice to see you|"
    r"(?:it's )?good to see you|come (?:on )?in|have a seat|thanks? (?:you )?for coming|see you|bye|goodbye|"
    r"take care|thank you|thanks)\b)"
)
BACKCHANNEL = cue(
    r"^\W*(?:mm+-?hmm+|uh-?huh|hmm+|mhm|right|okay|ok|yeah|yes|yep|sure|i see|got it|exactly|great|good|"
    r"alright|all right|no problem|of course|fine|sounds good|that's fair|wow|oh)\W*$"
)
SMALL_TALK = cue(
    r"\b(?:traffic|weather|parking|(?:the )?rain|snowing|how was your weekend|holiday plans|"
    r"sounds good|see you then|same time)\b"
)
FILLERS = re.compile(r"^(?:(?:um+|uh+|so|well|honestly|yeah|okay|oh|like|you know),?\s+)+", re.IGNORECASE)
AFFIRMATIVE = cue(r"^\W*(?:yes|yeah|yep|sure|okay|ok|i will|i can|i'll|definitely|absolutely|i guess|fine)\b")
# "Mm-mm." and "Uh-uh." are spoken noes: a denial, never a quotable statement.
NEGATIVE = cue(r"^\W*(?:no|nope|not really|never|i haven't|i have not|i don't|i didn't|none|mm-mm|uh-uh|nuh-uh)\b")

# Clinical topics: a client's report is grouped and labelled by these.
TOPICS: dict[str, re.Pattern[str]] = {
    "Mood": cue(
        r"\b(?:mood|depress\w*|sad\w*|hopeless\w*|empty|numb|irritab\w*|out of ten|crying|cried|"
        r"tearful|happy)\b"
    ),
    "Anxiety": cue(
        r"\b(?:anxi\w*|panic\w*|worr\w*|nervous|racing|on guard|scared|fear\w*|avoid\w*|"
        r"can't breathe|chest (?:gets )?tight)\b"
    ),
    "Sleep": cue(
        r"\b(?:sleep\w*|slept|insomnia|nightmares?|wake|waking|woke|bed(?:time)?|tired|asleep|"
        r"hours a night)\b"
    ),
    "Appetite": cue(r"\b(?:appetite|eat\w*|ate|meals?|weight|food|hungry)\b"),
    "Medication": cue(
        r"\b(?:medications?|meds|doses?|milligrams?|mg|prescri\w*|pills?|side effects?|"
        r"psychiatrist|refill)\b"
    ),
    "Substance use": cue(
        r"\b(?:alcohol|drink\w*|drank|drunk|beers?|wine|liquor|cannabis|marijuana|weed|vap\w*|"
        r"smok\w*|cravings?|sober\w*|relapse\w*|aa meeting|sponsor|opioids?|cocaine|pills)\b"
    ),
    "Relationships": cue(
        r"\b(?:wife|husband|partner|boyfriend|girlfriend|marriage|mom|mother|dad|father|"
        r"parents?|brother|sister|daughter|son|kids|children|friends?|family|argu\w*|fight\w*)\b"
    ),
    "Work/school": cue(
        r"\b(?:work|job|manager|boss|deadlines?|coworkers?|office|performance plan|school|class\w*|"
        r"teacher|grades?|test|quiz|homework assignment|math|english)\b"
    ),
    "Grief": cue(r"\b(?:grie\w*|loss|passed away|died|death|funeral|anniversary|widow\w*)\b"),
    "Trauma": cue(r"\b(?:trauma\w*|accident|crash|flashbacks?|nightmares?|hypervigilan\w*|loud noise|jump)\b"),
    "Risk": cue(
        r"\b(?:suicid\w*|kill(?:ing)? (?:my|your)self|hurt(?:ing)? (?:my|your)self|self[- ]harm\w*|"
        r"ending (?:my|your) life|end it all|safe(?:ty)?|harm(?:ing)? (?:others|someone|anyone)|"
        r"act on (?:those|these|the|that) thoughts?)\b"
    ),
}

# Clinician techniques: label -> pattern. The label is the term a note uses ("Clinician used ...").
INTERVENTIONS: dict[str, re.Pattern[str]] = {
    "behavioral activation": cue(r"\bbehaviou?ral activation\b|\bactivit(?:y|ies) (?:schedul\w*|that used to)\b"),
    "cognitive restructuring": cue(
        r"\b(?:cognitive restructuring|evidence (?:do you have|for|against)|"
        r"balanced thought|look at that thought|reframe|thinking trap|"
        r"cognitive distortion|challenge (?:that|the) thought)\b"
    ),
    "thought record": cue(r"\bthought record\b"),
    "exposure hierarchy": cue(r"\bexposure(?: hierarchy| ladder| therapy| practice)?\b|\bfear ladder\b"),
    "diaphragmatic breathing": cue(r"\b(?:diaphragmatic|box|deep|paced|belly) breathing\b|\bbreathe in for\b"),
    "grounding": cue(r"\bgrounding\b|\b5-4-3-2-1\b|\bname five things\b"),
    "mindfulness": cue(r"\bmindful\w*\b|\bbody scan\b"),
    "progressive muscle relaxation": cue(r"\bprogressive muscle relaxation\b|\bmuscle relaxation\b"),
    "DBT distress tolerance": cue(
        r"\b(?:TIPP|distress tolerance|radical acceptance|wise mind|opposite action|"
        r"DEAR MAN)\b"
    ),
    "ACT defusion and values": cue(r"\b(?:defusion|values clarification|committed action|willingness)\b"),
    "importance scale (motivational interviewing)": cue(
        r"\bscale of (?:one|1|zero|0) to (?:ten|10)\b.*\bimportant\b|"
        r"\bimportance ruler\b|\bconfidence ruler\b"
    ),
    "decisional balance": cue(r"\bpros and cons\b|\bdecisional balance\b"),
    "motivational interviewing": cue(r"\bmotivational interviewing\b|\bchange talk\b"),
    "reflective listening": cue(
        r"^(?:so )?(?:you're noticing|it sounds like you|you felt|so you felt|"
        r"what i'm hearing|i hear that)\b"
    ),
    "time-out skill": cue(r"\btime-?out\b"),
    "communication skills (I-statements)": cue(r"\bI-statements?\b|\bactive listening\b"),
    "journaling": cue(r"\bjournal\w*\b"),
    "validation": cue(
        r"^(?:that|it) (?:sounds|must (?:be|have been))\b|"
        r"^(?:that's|that is) (?:a big step|real progress|a big change)\b"
    ),
    "exploration of feelings": cue(r"^(?:and )?how did (?:it|that) feel\b|\bhow do you feel about\b"),
    "letter writing": cue(r"\b(?:writ\w+|finish) (?:a |the )?letter\b"),
    "empty chair": cue(r"\bempty chair\b"),
    "task breakdown and timed work blocks": cue(
        r"\bsmaller steps\b|\bbreak(?:ing)? .{0,30} into\b|"
        r"\bpomodoro\b|\bwork for \w+(?:-\w+)? minutes\b"
    ),
    "sleep hygiene": cue(r"\bsleep hygiene\b|\bstimulus control\b|\bscreens? before bed\b"),
    "safety planning": cue(r"\bsafety plan\w*\b|\bcrisis line\b"),
    "EMDR": cue(r"\bEMDR\b|\bbilateral stimulation\b"),
}

# Psychoeducation: the clinician explains how a symptom or condition works.
PSYCHOEDUCATION = cue(
    r"\b(?:it's (?:common|normal)|(?:is|are) (?:common|normal)|can be a side effect|is how|that's how|"
    r"keeps? .{0,20} going|the (?:brain|body|nervous system)|teach(?:es)? your brain|don't mean you|"
    r"(?:is|are) a (?:normal|common) (?:reaction|response)|common trauma responses)\b"
)
PSYCHOED_TOPICS = cue(
    r"\b(?:side effect|avoidance|panic|anxiety|grief|trauma(?: responses)?|nervous system|depression|sleep|"
    r"cravings?|withdrawal|holidays and anniversaries|medication)\b"
)
# A topic as the note names it, where the word the clinician used is not that name.
PSYCHOED_TOPIC_NAMES = {"side effect": "medication side effects", "craving": "cravings"}

# What makes a clinician's sentence a plan item.
HOMEWORK = cue(
    r"\b(?:homework|for (?:this|the) week|for practice|between (?:now and )?(?:our )?(?:next )?session|"
    r"before (?:our|the) next session|(?:would|could|will) you be willing to|would you|could you|"
    r"try (?:to )?|i'd like you to|your task|each (?:day|evening|morning|night)|every (?:day|evening|morning))"
)
REFERRAL = cue(
    r"\b(?:refer\w*|recommend\w*|intensive outpatient|support group|joint session|psychiatr\w+ "
    r"(?:evaluation|assessment)|call (?:your|the|her|his|Dr\.? [A-Z]\w+)|let .{1,20} know|bring (?:it )?up\b|"
    r"mention(?:ing)? .{0,30}to|contact)\b"
)
NEXT_SESSION = cue(
    r"\b(?:see you|meet(?: again)?|next (?:session|appointment)|our next|we'll meet|come back)\b.*"
    r"\b(?:next|monday|tuesday|wednesday|thursday|friday|saturday|sunday|week|weeks|tomorrow|\d{1,2}(?:st|nd|rd|th)?)\b"
)
WHEN = cue(
    r"\b(?:(?:next|this) (?:week|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"(?:on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|in (?:one|two|three|four|\d+) weeks?|"
    r"on the \d{1,2}(?:st|nd|rd|th)|tomorrow|tonight|same time)"
    r"(?:,? (?:at|on|after) (?:\d{1,2}(?::\d\d)?(?: ?[ap]m)?|one|two|three|four|five|six|ten|noon|school|"
    r"the \d{1,2}(?:st|nd|rd|th)))*"
    r"(?:,? on the \d{1,2}(?:st|nd|rd|th))?"
)
CLIENT_COMMITMENT = cue(r"^\W*(?:(?:okay|ok|yes|yeah|fine|sure)[,.]?\s*)?(?:i'll|i will|i can|i could|let me)\b")

# A clinician's assessment statements, in typed inputs or speech.
ASSESSMENT = cue(
    r"\b(?:consistent with|meets criteria|diagnos\w*|presentation|prognosis|progress(?:ing)?|risk (?:is|appears)|"
    r"insight|motivated|ambivalen\w*|impression|formulation|symptoms (?:are|of))\b"
)
OBSERVATION = cue(
    r"\b(?:appear(?:ed|s)?|present(?:ed|s)? as|affect|mood (?:was|appeared)|eye contact|oriented|speech|groomed|"
    r"dressed|tearful|alert|agitated|restless|psychomotor|arrived|on time|late|cooperative|engaged|guarded|"
    r"fidget\w*|hypervigilan\w*|phq-?9|gad-?7|audit-?c|score)\b"
)

# Clinical vocabulary a clinician uses far more than a client (for telling speakers apart).
CLINICIAN_VOCAB = cue(
    r"\b(?:homework|this week|last (?:week|time) you|let's|we'll|practice|skill|exercise|technique|notice|"
    r"scale of|how (?:has|have|is|are|did|do|often|much|many)|what (?:was|did|do|goes|gets|could|would|made|happened)|"
    r"sounds like|it sounds|that's (?:real|a big|a great|how)|i'd like|would you|could you|for practice|"
    r"common|evidence|thought|session|appointment|refer|recommend|see you next)\b"
)
