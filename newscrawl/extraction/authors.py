"""Byline cleaning: turn "By Jane Doe and John Roe, Reuters | Updated 7 Dec 2021" into names.

``parse_byline(text, site_names)`` returns a deduplicated list of people or agencies.
It strips the "By" prefix (and "Von", "Por", "Текст:"...), e-mails, handles, URLs,
dates, job titles ("Political Editor", "AP National Security Writer"), credentials
("MS, RD") and the publisher's own name and desks ("BBC News", "Telegraph Sport"),
then splits on "and", "&", commas, "|", ";". An agency named after people ("..., Reuters")
is their employer and is dropped; an agency alone ("By Press Association") is the author.
``looks_like_name`` is the extra check for bylines found in free text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from newscrawl.textnorm import collapse_whitespace, name_key

# "By", "Written by", "Words by", "Von", "Por", "Par", "Di", "Door", "Av", "Af", "Автор".
_BY_PREFIX = re.compile(
    r"^(?:(?:written|words|reported|posted|story|text(?:\s+(?:und|and|&)\s+(?:fotos?|photos?|bilder))?|photos?|reporting|compiled|edited|analysis|opinion|"
    r"commentary|interview|review|published|report|article|column|(?:ein\s+)?(?:blog\s*|gast)?beitrag)\s+)?"
    r"(?:by|von|por|par|di|door|av|af|от|автор)\s*[:\-–]?\s+|^by:?\s*|"
    r"^(?:текст|автор|author|authors|autor|autorin|autoren|auteur|autore|written by|reporter|words|text|story|byline|"
    r"reporting|report)\s*:\s*",
    re.I,
)
# Link labels around a name: "Zeige alle Beiträge von X", "View all posts by X", "Eingestellt von X".
_LABEL_PREFIX = re.compile(
    r"^(?:(?:zeige|view|see|show|alle)\s+)?(?:alle\s+|all\s+|more\s+)?"
    r"(?:beiträge|posts|articles|artikel|stories|texte)\s+(?:von|by|de)\b\s*|"
    r"^(?:eingestellt|geschrieben|verfasst|kommentar|posted|submitted)\s+(?:von|by)\b\s*|"
    r"^(?:posted|published|veröffentlicht|eingestellt)\s+(?:on|am)\b.{0,40}?\s(?:by|von)\s+",
    re.I,
)
# A second credit after the byline's names: "Text von Jane Doe Illustration von John Roe".
_OTHER_CREDIT = re.compile(r"(?<=\w)(?<!\bund)(?<!\band)\s+(?:illustrations?|fotos?|photos?|photography|bilder|grafiken?)\s+(?:von|by)\s.*$",
                           re.I)
_DANGLING_ON = re.compile(r"\s+(?:on|am|at|le|el)\s*$", re.I)  # "Jane Doe on" once the date is gone
# Initials or a desk code in brackets after a name: "Elena Oberholzer (obe)", "Jane Doe [jd]".
_BRACKETED = re.compile(r"\s*[(\[][^()\[\]]{0,40}[)\]]")
# Buttons and counters printed next to a name: "Folgen", "Follow", "12 Shares".
_BUTTON_WORDS = frozenset(
    "follow folgen abonnieren subscribe suivre seguir segui volgen obserwuj shares share teilen".split()
)
# A link to the author's profile page, labelled as one: "View my complete profile" (Blogger),
# "Afficher mon profil complet", "Zum Profil".
_PROFILE_WORDS = frozenset("profile profil profilo perfil".split())
# A name ending in an initial or a suffix keeps its full stop: "Joe S.", "Perry Bacon Jr.".
_KEEPS_FULL_STOP = re.compile(r"(?:^|\s)(?:\w|jr|sr|st)\.$", re.I)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"(?<!\w)@\w+")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_TEXT = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}\b|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b|"
    r"\b\d{4}-\d{2}-\d{2}(?:T[\d:.+\-Z]+)?|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|"
    r"\b\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?(?:\s*[A-Z]{2,4}\b)?|"
    r"\b(?:updated|published|posted|last modified|modified)\b.*$",
    re.I,
)
# Split between several names. " and " / " & " / " with " inside one clause, and separators.
# Spanish "y" and French "et" join names too, but not as an initial ("Bruce Y. Lee").
# A spaced dash parts a name from an outlet or a role: "unocero - Alberto Ávila".
_SEPARATORS_KEEP = re.compile(r"(\s*(?:[,;|/•·]|(?<=\s)[-–—](?=\s)|\band\b|\bund\b|\by\b(?!\.)|\bet\b(?!\.)|&|\bwith\b|\n)\s*)", re.I)

# Job titles: a chunk made only of these words is a role, not a name.
_ROLE_WORDS = frozenset(
    """
    editor editors reporter reporters correspondent correspondents writer writers columnist contributor
    contributors contributing staff senior chief deputy associate assistant managing executive political
    politics business economics economy science health technology tech sports sport news foreign home
    affairs diplomatic security defence defense royal entertainment culture arts music film showbiz
    environment climate education legal crime investigations investigative data digital online social
    media consumer travel food fashion lifestyle money markets finance financial personal city us uk
    world international europe european africa asia america washington london bureau
    head producer presenter anchor host photographer analyst commentator critic reviewer blogger
    intern freelance freelancer special guest author journalist journalists desk team at of for the
    in and a an mailonline online.com national ap pa afp correspondent-at-large editor-at-large
    at-large nation state local metro regional breaking general wire wires staffer reports report
    """.split()
)
# A chunk ending in one of these is a job title ("AP National Security Writer"), or ends with one
# ("Tom Gillespie News reporter"): the trailing run of role words is cut off.
_ROLE_NOUNS = frozenset(
    """editor editors reporter reporters correspondent correspondents writer writers columnist contributor
    contributors producer presenter anchor host photographer analyst commentator critic reviewer blogger
    intern freelancer journalist journalists staff staffer editor-at-large correspondent-at-large desk team
    """.split()
)
# Names that are never an author on their own.
_GENERIC_NAMES = frozenset(
    """admin administrator staff editor editors guest anonymous unknown none null undefined author
    user webmaster newsroom redaktion redacción redação desk team contributor reporter editorial
    гость text stand antworten reply""".split()
) | frozenset(("no author", "kein autor", "sans auteur"))
_MAX_NAME_WORDS = 6
_FOR_OUTLET = re.compile(r"\s+(?:for|from|at)\s+.*$", re.I)

# News agencies: a byline of their own ("By Press Association"), or an employer after names.
_AGENCY_KEYS = frozenset(
    "reuters associatedpress theassociatedpress ap afp agencefrancepresse pa pressassociation pamedia "
    "thepressassociation pti ani ians dpa efe ansa upi xinhua tass bloomberg aap cp thecanadianpress "
    "canadianpress agencies newsagencies".split()
)
_OUTLET_WORDS = frozenset(
    "media news press times post journal magazine network daily tribune herald gazette today radio tv "
    "television online agency".split()
)
_DESK_WORDS = frozenset("sport sports news staff reporters reporter team desk online digital wire editorial".split())
# Degrees and titles after a name: "Rachael Link, MS, RD".
_CREDENTIALS = frozenset(
    "ms ma mba md phd rd rdn rn mph msc bsc cpt cscs np pa-c do dds jd llm esq cfa cpa lcsw".split()
)
_WEEKDAYS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday montag dienstag mittwoch donnerstag freitag "
    "samstag sonnabend sonntag lundi mardi mercredi jeudi vendredi samedi dimanche lunes martes miércoles "
    "jueves viernes sábado domingo".split()
)
# A role ending in one of these names a group, not a person: "Chrome Safe Browsing team".
_GROUP_NOUNS = frozenset("team desk staff".split())
# "Deutsche Welle (www.dw.com)": a name followed by the site's own domain is the publisher.
_SITE_DOMAIN_IN_BRACKETS = re.compile(r"\((?:https?://)?(?:www\.)?([\w.-]+\.[a-z]{2,})/?\)", re.I)


def parse_byline(text: str | None, site_names: Iterable[str] = ()) -> list[str]:
    """Names in one byline string; [] when it holds no name."""
    if not text:
        return []
    text = collapse_whitespace(text.replace("\u00a0", " "))
    if not text:
        return []
    site_keys = _site_keys(site_names)
    for domain in _SITE_DOMAIN_IN_BRACKETS.findall(text):
        if name_key(domain) in site_keys:
            return []
    text = _EMAIL.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _LABEL_PREFIX.sub("", text.strip(" :-–—|,"))  # before dates: "Posted on 3 May 2020 by …"
    text = _DANGLING_ON.sub("", _DATE_TEXT.sub(" ", text))
    text = _BRACKETED.sub("", text)
    text = _BY_PREFIX.sub("", text.strip(" :-–—|,"))
    text = _OTHER_CREDIT.sub("", text)
    names: list[str] = []
    after_outlet = False  # "By Nada Tawfik, BBC News, New York": what follows the outlet is a place
    for separator, chunk in _split_with_separators(text):
        if after_outlet and separator in (",", "|"):
            continue
        stripped = chunk.strip(" :-–—()[]\"'")
        chunk = _BY_PREFIX.sub("", _LABEL_PREFIX.sub("", stripped.strip("."))).strip(" :-–—.()[]\"'")
        if _KEEPS_FULL_STOP.search(stripped) and stripped.endswith(chunk + "."):
            chunk += "."
        chunk = _FOR_OUTLET.sub("", chunk)  # "Jane Doe for MailOnline"
        name, was_outlet = _clean_name(chunk, site_keys)
        after_outlet = after_outlet or was_outlet
        if name:
            names.append((separator, name))
    # "Jane Doe and John Roe, Reuters" / "Sandee LaMotte, CNN": an agency or outlet named
    # after people is their employer.
    has_person = any(not _is_agency(name) for _, name in names)
    kept = [
        name for separator, name in names
        if not (has_person and separator in (",", "|", "-") and (_is_agency(name) or _looks_like_outlet(name)))
    ]
    return dedupe_names(kept)


def _site_keys(site_names: Iterable[str]) -> set[str]:
    site_keys = set()
    for name in site_names:
        if name:
            site_keys.add(name_key(name))
            site_keys.add(name_key(re.sub(r"^the\s+", "", name.strip(), flags=re.I)))
    site_keys.discard("")
    return site_keys


def _looks_like_outlet(name: str) -> bool:
    """'CNN', 'NJ Advance Media', 'Florida Today': an acronym or a name with a media word."""
    words = name.split()
    if len(words) == 1 and name.isupper() and 2 <= len(name) <= 5:
        return True
    return any(word.casefold() in _OUTLET_WORDS for word in words)


def _is_agency(name: str) -> bool:
    return name_key(name) in _AGENCY_KEYS


def _split_with_separators(text: str) -> list[tuple[str, str]]:
    """[(separator before the chunk, chunk)]; the first chunk has separator ''."""
    pieces = _SEPARATORS_KEEP.split(text)
    result = [("", pieces[0])]
    for index in range(1, len(pieces) - 1, 2):
        separator = pieces[index].strip().lower()
        result.append(("-" if separator in _DASHES else separator, pieces[index + 1]))
    return result


_DASHES = frozenset("-–—")
# Left alone between a name and a date: "Von X am Samstag, 19. Oktober".
_CONNECTIVES = frozenset("am um on at le el the".split())
_NAME_PARTICLES = frozenset(
    "de da do dos das del della di du van von der den ten ter le la al el bin ibn y e of".split()
)


def looks_like_name(name: str) -> bool:
    """Capitalised words (or an uncased script such as Korean): for bylines found in free text,
    where "By subscribing I accept the terms" must not become an author."""
    words = name.split()
    if not 1 <= len(words) <= 5 or words[0].casefold() in ("the", "a", "an"):
        return False
    for word in words:
        first = word.lstrip("'\"(")[:1]
        if not first:
            return False
        if first.isalpha() and first.lower() != first.upper() and not first.isupper():
            if word.lower() not in _NAME_PARTICLES:
                return False
    return True


def dedupe_names(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    unique: list[str] = []
    for name in names:
        key = name_key(name)
        if key and key not in seen:
            seen.add(key)
            unique.append(name)
    return unique


def _clean_name(chunk: str, site_keys: set[str]) -> tuple[str | None, bool]:
    """(the name in one chunk or None, whether the chunk was the outlet's own name)."""
    chunk = collapse_whitespace(chunk)
    if not chunk or len(chunk) < 2 or any(ch.isdigit() for ch in chunk):
        return None, False
    if "©" in chunk:  # a picture credit
        return None, False
    words = chunk.split()
    if any(word.casefold() in _PROFILE_WORDS for word in words):
        return None, False
    while words and words[-1].casefold() in _BUTTON_WORDS:
        words = words[:-1]
    if not words:
        return None, False
    # A trailing outlet name glued to the name: "Kevin McCoy USA TODAY".
    for cut in range(1, min(4, len(words))):
        if name_key(" ".join(words[-cut:])) in site_keys and len(words) - cut >= 2:
            words = words[:-cut]
            break
    if _is_outlet(words, site_keys):
        return None, True
    if name_key(" ".join(words)) in _AGENCY_KEYS:
        return " ".join(words), False
    if len(words) == 1 and words[0].strip(".").casefold() in _CREDENTIALS | _WEEKDAYS | _CONNECTIVES:
        return None, False
    lowered = [w.casefold().strip(".,") for w in words]
    if lowered[-1] in _ROLE_NOUNS or (len(lowered) > 1 and lowered[-1] in _ROLE_WORDS and lowered[-2] in _ROLE_NOUNS):
        # Cut the job title off the end; what is left (if anything) is the name.
        group = lowered[-1] in _GROUP_NOUNS
        while lowered and lowered[-1] in _ROLE_WORDS:
            lowered.pop()
            words = words[:-1]
        if len(words) < 2:
            return None, False
        if _is_outlet(words, site_keys):  # "Jerusalem Post Staff"
            return None, True
        if group:
            return None, False
    if all(w in _ROLE_WORDS for w in lowered):
        return None, False
    if len(words) > _MAX_NAME_WORDS:
        return None, False
    name = " ".join(words)
    if name.casefold() in _GENERIC_NAMES or not any(ch.isalpha() for ch in name):
        return None, False
    if name.isupper() and len(words) >= 2:  # "ROBERT BURNS" -> "Robert Burns"; "PTI" stays
        name = name.title()
    return name, False


def _is_outlet(words: list[str], site_keys: set[str]) -> bool:
    """The site itself, or the site plus desk words: 'BBC News', 'Telegraph Sport', 'Jerusalem Post Staff'."""
    key = name_key(" ".join(words))
    if key in site_keys or any(key == site + "com" or key == site + "couk" or site == key + "blog"
                               for site in site_keys):
        return True
    for cut in range(1, len(words)):
        head, tail = words[:cut], words[cut:]
        head_key = name_key(" ".join(head))
        if head_key in site_keys and all(w.casefold() in _ROLE_WORDS or w.casefold() in _DESK_WORDS for w in tail):
            return True
    return False
