"""News-specific cleanup around the article body.

Two stages, both general (no site names), each a list of small rules so that a
rule's effect can be measured by leaving it out:
- TREE_RULES run on a private copy of the page before extraction: they put drop caps
  back, drop pop-up dialogs (cookie consent), turn anchors that link nowhere into text
  (else link-density tests drop their paragraph), drop figure captions and credits (also plain
  text beside an image that names it or credits it), and the
  sidebars/teasers that a heading like "Most read" or "More on this story" introduces.
- BLOCK_RULES run on the extracted blocks: they drop a leading headline, byline and
  dateline lines, a standfirst the body repeats, promo lines ("Related: ...",
  "READ MORE: ..."), and tag, byline and sign-off lines at the end.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

from lxml.etree import XPath
from lxml.html import HtmlElement

from newscrawl.extraction.text import Block
from newscrawl.textnorm import collapse_whitespace

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


# --- headings that introduce a list of other articles ---------------------------------

_TEASER_HEADING = re.compile(
    r"""^\W*(?:
        (?:the\ )?latest(?:\ [\w&'’-]+){0,3}(?:\ news|\ stories|\ headlines|\ articles|\ videos?)?
      | most\ (?:read|popular|viewed|shared|watched|commented)(?:\ [\w'’-]+){0,4}
      | (?:more|also)\ (?:on|in|from|about)\ (?:this|the|our)?\s?[\w&'’ -]{0,40}
      | more\ (?:stories|news|headlines|articles|videos|to\ explore)(?:\ [\w'’-]+){0,4}
      | top\ (?:stories|news|headlines|videos)(?:\ [\w'’-]+){0,3}
      | trending(?:\ [\w'’-]+){0,3}
      | related(?:\ [\w'’-]+){0,3}
      | (?:you\ )?(?:may|might)\ (?:also\ )?(?:like|enjoy|be\ interested\ in)
      | recommended(?:\ [\w'’-]+){0,3}
      | (?:read|see|watch)\ (?:more|also|next)
      | also\ read | further\ reading | don'?[’]?t\ miss | what\ to\ read\ next | popular(?:\ [\w'’-]+){0,3}
      | editor'?[’]?s\ picks? | in\ other\ news | around\ the\ web
      | (?:leia|veja)\ (?:também|mais) | lesen\ sie\ auch | mehr\ zum\ thema | lire\ aussi | à\ lire\ aussi
      | (?:lee|leer)\ (?:también|más) | noticias\ relacionadas | leggi\ anche
    )\W*$""",
    re.IGNORECASE | re.VERBOSE,
)
_MAX_HEADING_CHARS = 80


def is_teaser_heading(text: str) -> bool:
    text = text.strip()
    return len(text) <= _MAX_HEADING_CHARS and bool(_TEASER_HEADING.match(text))


# --- tree stage -------------------------------------------------------------------------

_CAPTION_CLASS = re.compile(r"(?:^|[\s_-])(?:caption|credit|credits|photo-?credit)(?:$|[\s_-])", re.IGNORECASE)
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_INLINE_HEADING_TAGS = ("strong", "b", "span")
_TEASER_HEADING_TAGS = (*_HEADING_TAGS, *_INLINE_HEADING_TAGS, "div", "p")
_MAX_CAPTION_CHARS = 400
_MAX_TEASER_BLOCK_CHARS = 2500
_KEEP_TAGS = frozenset(("html", "body", "article", "main"))
# The cheap attribute-presence test first: it spares the comparisons on most elements.
_DIALOGS = XPath(
    ".//dialog | .//*[@role or @aria-modal][@role='dialog' or @role='alertdialog' or @aria-modal='true']"
)
# Pre-filter in C for _has_caption_name's substring test (class + id).
_CAPTION_NAMED = XPath(
    ".//*[@class][contains(@class, 'aption') or contains(@class, 'redit')]"
    " | .//*[@id][contains(@id, 'aption') or contains(@id, 'redit')]"
)
_SHORT_PARAGRAPHS = XPath(".//p[string-length(normalize-space(.)) <= 200]")
_HAS_HEADING = XPath("boolean(.//h1 | .//h2 | .//h3 | .//h4 | .//h5 | .//h6)")


TreeRule = Callable[[HtmlElement], None]


def prune_tree(tree: HtmlElement) -> None:
    """Apply TREE_RULES to ``tree`` (a private copy: it is changed in place)."""
    for rule in TREE_RULES:
        rule(tree)


def drop_captions(tree: HtmlElement) -> None:
    """Figure captions and photo credits."""
    for element in list(tree.iter("figcaption")):
        remove_element(element)
    for element in list(tree.iter("figure")):
        if len(element.text_content()) <= _MAX_CAPTION_CHARS:
            remove_element(element)
    for element in [e for e in _CAPTION_NAMED(tree) if _has_caption_name(e)]:
        if element.tag in _KEEP_TAGS or len(element.text_content()) > _MAX_CAPTION_CHARS:
            continue
        # A caption holds no heading: "content-header__caption-style" is a page header.
        if element.tag != "header" and not _HAS_HEADING(element):
            remove_element(element)


# Photo credits: "Picture: PA", "Photo: Jane Doe/Reuters", "(Russian Defence Ministry via AP)", "© AFP".
_CREDIT = re.compile(
    r"""(?:\b(?:pictures?|photos?|photograph|photo\ credit|image|images|credit|foto|fotos|bild|quelle|source)
            \s*:\s*[\w©(][^.]{0,60}$
      | \((?:[^()]{0,80}\b(?:via|ap\ photo|afp|reuters|getty|epa|pa\ wire|photo|foto|image|picture)\b[^()]{0,60})\)\s*$
      | (?:©|\(c\)|copyright)\s*[\w][^.]{0,60}$
      | /\s*(?:getty\ images|afp|reuters|ap|epa|dpa|pa)\s*$
      | \b(?:getty\ images|shutterstock|imago|picture\ alliance)\s*$)""",
    re.IGNORECASE | re.VERBOSE,
)
_MAX_CREDIT_ONLY_WORDS = 8
_IMAGE_TAGS = ("img", "picture", "figure", "video")
_CAPTION_TAGS = frozenset(("p", "span", "div", "em", "small", "i", "cite"))


def drop_plain_captions(tree: HtmlElement) -> None:
    """Captions in plain markup: a short text element right after an image that names the
    image (starts with its alt text) or carries a photo credit; and lone credit lines."""
    for image in list(tree.iter("img", "picture")):
        anchor = _image_anchor(image)
        if anchor is None:
            continue
        caption = anchor.getnext()
        if caption is None or not isinstance(caption.tag, str) or caption.tag not in _CAPTION_TAGS:
            continue
        if (anchor.tail or "").strip() or len(caption) > 3:
            continue
        text = collapse_whitespace(caption.text_content())
        if not text or len(text) > _MAX_CAPTION_CHARS:
            continue
        alt = collapse_whitespace(image.get("alt") or "")
        if _CREDIT.search(text) or (len(alt) >= 8 and text.casefold().startswith(alt.casefold())):
            remove_element(caption)
    for element in _SHORT_PARAGRAPHS(tree):
        text = collapse_whitespace(element.text_content())
        if text and len(words(text)) <= _MAX_CREDIT_ONLY_WORDS and _CREDIT.match(text):
            remove_element(element)


def _image_anchor(image: HtmlElement) -> HtmlElement | None:
    """The image, or the textless wrapper that holds only it (<p><img></p>, <a><img></a>)."""
    node = image
    for _ in range(3):
        parent = node.getparent()
        if parent is None or parent.tag in _KEEP_TAGS or (parent.text or "").strip() or len(parent) != 1:
            break
        if parent.text_content().strip():
            break
        node = parent
    return node


def _has_caption_name(element: HtmlElement) -> bool:
    names = f"{element.get('class') or ''} {element.get('id') or ''}"
    # Substring test first: the regex runs on few elements.
    return ("aption" in names or "redit" in names) and bool(_CAPTION_CLASS.search(names))


def drop_teaser_blocks(tree: HtmlElement, patterns: Iterable[re.Pattern] = ()) -> None:
    """A heading such as "Most read" with the list of links it introduces.

    ``patterns`` are a site's extra headings (ExtractionRules.strip_headings)."""
    patterns = tuple(patterns)
    for heading in _teaser_headings(tree, patterns):
        if _is_attached(heading, tree):  # not inside a block removed already
            _drop_teaser_block(heading)


def _teaser_headings(tree: HtmlElement, patterns: tuple[re.Pattern, ...]) -> list[HtmlElement]:
    found = []
    for heading in tree.iter(*_TEASER_HEADING_TAGS):
        children = len(heading)
        if children > 3:  # a container, not a title
            continue
        text = (heading.text_content() if children else heading.text or "").strip()
        if not text or len(text) > _MAX_HEADING_CHARS:
            continue
        if not (is_teaser_heading(text) or any(p.search(text) for p in patterns)):
            continue
        if heading.tag not in _INLINE_HEADING_TAGS or _opens_its_line(heading):
            found.append(heading)
    return found


def _is_attached(element: HtmlElement, root: HtmlElement) -> bool:
    while element is not None:
        if element is root:
            return True
        element = element.getparent()
    return False


def _opens_its_line(element: HtmlElement) -> bool:
    """An inline element acting as a section title: it opens its parent and ends its line."""
    parent = element.getparent()
    if parent is None or (parent.text or "").strip() or element.getprevious() is not None:
        return False
    following = element.getnext()
    return not (element.tail or "").strip() and (following is None or following.tag in ("br", "a", "ul", "ol"))


def _drop_teaser_block(heading: HtmlElement) -> None:
    """Climb to the largest ancestor that is still just "heading + links" and remove it;
    otherwise remove the heading and its link-dense following siblings."""
    block = None
    node = heading
    while node.getparent() is not None and node.getparent().tag not in ("body", "html"):
        parent = node.getparent()
        if not _is_teaser_container(parent, heading):
            break
        node = block = parent
    if block is not None:
        remove_element(block)
        return
    sibling = heading.getnext()
    while sibling is not None and _is_link_list(sibling):
        following = sibling.getnext()
        remove_element(sibling)
        sibling = following
    remove_element(heading)


def _is_teaser_container(element: HtmlElement, heading: HtmlElement) -> bool:
    text = element.text_content()
    rest = len(text.strip()) - len(heading.text_content().strip())
    if rest <= 0:
        return True
    if len(text) > _MAX_TEASER_BLOCK_CHARS:
        return False
    return _link_chars(element) >= 0.5 * rest


def _is_link_list(element: HtmlElement) -> bool:
    if not isinstance(element.tag, str):
        return False
    text = element.text_content().strip()
    if not text:
        return True
    return len(text) <= _MAX_TEASER_BLOCK_CHARS and _link_chars(element) >= 0.5 * len(text)


def _link_chars(element: HtmlElement) -> int:
    return sum(len(a.text_content().strip()) for a in element.iter("a"))


def remove_element(element: HtmlElement) -> None:
    """Remove an element but keep its tail text."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail and tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def join_drop_caps(tree: HtmlElement) -> None:
    """A decorative first letter in its own element before the paragraph: put it back."""
    for element in list(tree.iter("span", "div")):
        letter = (element.text or "").strip()
        following = element.getnext()
        if len(letter) != 1 or not letter.isalpha() or len(element) or following is None or following.tag != "p":
            continue
        if (element.tail or "").strip():
            continue
        rest = following.text_content().lstrip()
        if not rest[:1].isalpha() or not rest[:1].islower():
            continue
        following.text = letter + (following.text or "").lstrip()
        remove_element(element)


def drop_dialogs(tree: HtmlElement) -> None:
    """Cookie-consent and other pop-up dialogs: never part of an article. A "dialog" that holds
    most of the page's text is broken markup (an unclosed element swallowed the page): kept."""
    dialogs = _DIALOGS(tree)
    if not dialogs:
        return
    page_chars = len(tree.text_content())
    for element in dialogs:
        if len(element.text_content()) < 0.5 * page_chars:
            remove_element(element)


def unwrap_anchors_without_links(tree: HtmlElement) -> None:
    """Anchors that are not links: a named anchor (``<a name>`` with no href) keeps its text
    as plain text, an empty in-page link (a heading's permalink icon) goes. Else the
    extractor's link-density tests drop the paragraph or heading that holds them.
    (An ``<a>`` with neither href nor name is a scripted button, "Share": left alone.)"""
    for anchor in list(tree.iter("a")):
        href = (anchor.get("href") or "").strip()
        if not href:
            if anchor.get("name"):
                anchor.drop_tag()
        elif href.startswith("#") and not len(anchor) and not (anchor.text or "").strip():
            remove_element(anchor)


TREE_RULES: list[TreeRule] = [join_drop_caps, drop_dialogs, unwrap_anchors_without_links, drop_captions,
                              drop_plain_captions, drop_teaser_blocks]


# --- block stage ------------------------------------------------------------------------

# One-line promos for another article, e.g. "Related: ...", "READ MORE: ...".
_PROMO_LINE = re.compile(
    r"""^\W*(?:
        (?:(?:related|recommended|read\ more|see\ more|more|also|also\ read|read\ also|watch|watch\ more
          |see\ also|more\ on\ [\w.]+|don'?[’]?t\ miss|leia\ também|lesen\ sie\ auch|lire\ aussi
          |leggi\ anche(?:\ su)?)
         (?:\ (?:post|article|story|content|coverage|video|link)s?)?\s*[:>»|–—-])
      | also\ on\ [\w-]+\.[a-z]{2,}\b
      | advert(?:isement)?\W*$ | sponsored\W*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_CLICK_HERE = re.compile(r"\bclick(?:ing)?\ here\b", re.IGNORECASE)

# Byline and dateline lines near the top: "By Press Association", "By JANE DOE Associated Press".
# The name must start with a capital: "By the time police arrived" is article text.
_BYLINE = re.compile(r"^\W*(?i:by|von|por|par|di|door|av|af)\s+[A-ZÀ-ÖØ-Þ]")
_DATELINE = re.compile(
    r"""^\W*(?:(?:published|updated|posted|last\ updated|modified)\b[^\n]{0,60}
      |(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\ [^\n]{0,60}\d{4}[^\n]{0,20}
      |\d{1,2}[./-]\d{1,2}[./-]\d{2,4}[^\n]{0,40}
      |(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\ \d{1,2},?\ \d{4}[^\n]{0,40}
      |\d{1,2}\ (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\ \d{4}[^\n]{0,40})$""",
    re.IGNORECASE | re.VERBOSE,
)

# Sign-off lines at the end of the body.
_SIGN_OFF = re.compile(
    r"""(?:contributed\ (?:to\ )?(?:this\ )?(?:report|reporting|story)
      |^\W*(?:additional\ )?(?:reporting|writing|editing)\ by\b
      |^\W*(?:\d+\ )?comments?\W*$
      |^\W*(?:like\ this\ (?:story|article)|share\ (?:this|on))\b
      |\bfollow\ (?:us|him|her|them|me|@\w+|[\w@]+(?:\ \w+){0,3})\ on\ (?:twitter|facebook|instagram|linkedin|youtube)
      |^\W*(?:sign\ up|subscribe)\b
      |\b(?:start|get|begin)\ your\ [\w\ ]{0,40}subscription
      |^\W*source\s*:)""",
    re.IGNORECASE | re.VERBOSE,
)
_TAGS_LINE = re.compile(r"^\W*(?:tags|filed under|topics|keywords)\s*(?::|$)", re.IGNORECASE)
_TWEET_SUFFIX = re.compile(r"\s*Click To Tweet\s*$", re.IGNORECASE)

_MAX_PROMO_WORDS = 30
_MAX_BYLINE_WORDS = 12
_MAX_SIGN_OFF_WORDS = 40
_MAX_END_BYLINE_WORDS = 8
_TOP_ZONE = 4  # blocks at the top where headline, byline and dateline may sit
_MAX_KICKER_WORDS = 6  # a line above the headline longer than this is article text

BlockRule = Callable[[list[Block], list[list[str]]], list[Block]]


def clean_blocks(blocks: list[Block], headlines: Iterable[str] = ()) -> list[Block]:
    """Apply BLOCK_RULES; ``headlines`` are the strings the page uses as its headline."""
    headline_words = [w for w in (words(h) for h in headlines) if w]
    blocks = [b for b in blocks if b.text]
    for rule in BLOCK_RULES:
        blocks = rule(blocks, headline_words)
    return blocks


def strip_tweet_suffix(blocks: list[Block], headline_words: list[list[str]]) -> list[Block]:
    """"... Click To Tweet" pull quotes."""
    result = []
    for block in blocks:
        text = _TWEET_SUFFIX.sub("", block.text)
        if text:
            result.append(block if text == block.text else Block(block.kind, text))
    return result


def drop_top_matter(blocks: list[Block], headline_words: list[list[str]]) -> list[Block]:
    """Headline, byline and dateline lines before the first paragraph kept.

    Short lines above the headline (a kicker such as "Review", a section name) go too."""
    start = 0
    for index, block in enumerate(blocks[:_TOP_ZONE]):
        if _is_headline(block, headline_words):
            start = index + 1
            break
        if len(block.words) > _MAX_KICKER_WORDS:
            break
    while start < min(_TOP_ZONE, len(blocks)) and _is_top_matter(blocks[start], headline_words):
        start += 1
    return blocks[start:]


def _is_top_matter(block: Block, headline_words: list[list[str]]) -> bool:
    if _is_headline(block, headline_words):
        return True
    n_words = len(block.words)
    if n_words <= _MAX_BYLINE_WORDS and _BYLINE.match(block.text):
        return True
    return n_words <= 12 and bool(_DATELINE.match(block.text))


def _is_headline(block: Block, headline_words: list[list[str]]) -> bool:
    text_words = block.words
    if not text_words:
        return False
    for headline in headline_words:
        if text_words == headline:
            return True
        # <title> often adds " | Site name"; og:title can be a trimmed headline.
        if len(text_words) >= 4 and headline[: len(text_words)] == text_words:
            return True
        if len(headline) >= 4 and text_words[: len(headline)] == headline and len(text_words) <= len(headline) + 4:
            return True
    return False


def drop_promo_lines(blocks: list[Block], headline_words: list[list[str]]) -> list[Block]:
    """"Related: ...", "READ MORE: ...", "Advertisement", "... click here ..." lines."""
    return [b for b in blocks if not _is_promo_line(b)]


def _is_promo_line(block: Block) -> bool:
    if len(block.words) > _MAX_PROMO_WORDS:
        return False
    return bool(_PROMO_LINE.match(block.text) or _CLICK_HERE.search(block.text))


def drop_tags_lines(blocks: list[Block], headline_words: list[list[str]]) -> list[Block]:
    """"Tags: a, b, c" (or a "Tags" line and the list after it) at the end."""
    for index in range(max(0, len(blocks) - 3), len(blocks)):
        if _TAGS_LINE.match(blocks[index].text) and len(blocks[index].words) <= 40:
            return blocks[:index]
    return blocks


def drop_sign_off(blocks: list[Block], headline_words: list[list[str]]) -> list[Block]:
    """Byline, credit, follow-us, comment-count and newsletter lines at the end."""
    end = len(blocks)
    while end > 0 and _is_sign_off(blocks[end - 1]):
        end -= 1
    return blocks[:end]


def _is_sign_off(block: Block) -> bool:
    n_words = len(block.words)
    if n_words <= _MAX_END_BYLINE_WORDS and _BYLINE.match(block.text):
        return True
    return n_words <= _MAX_SIGN_OFF_WORDS and bool(_SIGN_OFF.search(block.text))


def drop_repeated_lead(blocks: list[Block], headline_words: list[list[str]]) -> list[Block]:
    """A standfirst (the first block) that a later paragraph opens with and then goes on.

    An identical later block is more likely a pull quote, so the lead stays then."""
    if not blocks:
        return blocks
    lead = blocks[0].words
    if len(lead) < 8:
        return blocks
    for later in blocks[1:]:
        later_words = later.words
        if len(later_words) > len(lead) and later_words[: len(lead)] == lead:
            return blocks[1:]
    return blocks


BLOCK_RULES: list[BlockRule] = [
    strip_tweet_suffix,
    drop_top_matter,
    drop_repeated_lead,
    drop_promo_lines,
    drop_tags_lines,
    drop_sign_off,
]
