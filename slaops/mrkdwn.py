"""Text for Slack: everything we post that we did not write ourselves (subjects, account names,
agents' replies, their names) goes through `escape`, the one place that encodes for Slack.

Slack reads `&`, `<` and `>` as control characters (docs.slack.dev, "Formatting text": escaping
text); every mention, channel link and labelled link needs a `<`, so once the three are entities
a text cannot form `<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>`, `<@U…>`, `<#C…>` or
`<url|label>`. Only `link` writes a real `<…>`, for our own URLs. slack_sdk has no helper for
this (it leaves formatting to the caller)."""

import unicodedata

# Arguments for chat.postMessage / chat.update beside escaped text: plain words such as
# "@channel" or "#general" are never turned into mentions or links (Slack's defaults, said
# explicitly so a changed default cannot page a customer's channel).
NO_AUTOLINK = {"parse": "none", "link_names": False}


def escape(text: str) -> str:
    """Slack's three control characters as entities; the text reads the same in Slack."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_within(text: str, limit: int) -> str:
    """Escaped and cut to `limit` characters without cutting an entity in half."""
    out, used = [], 0
    for char in text:
        piece = escape(char)
        if used + len(piece) > limit:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out)


def escape_in_pieces(text: str, limit: int) -> list[str]:
    """Escaped and split into pieces of at most `limit` characters (counted as UTF-16 units,
    so a character outside the Basic Multilingual Plane counts two, as in JavaScript), for Block
    Kit's per-section limit. A piece ends after a line break, else after a space, when one lies
    in its second half; otherwise it ends where the limit falls. Never inside an entity (`&amp;`),
    a character, or between a character and the marks that join it (accents, emoji joiners,
    variation selectors, skin tones). An empty text has no pieces."""
    pieces: list[str] = []
    chars = list(text)
    start = 0
    while start < len(chars):
        end, used = start, 0
        while end < len(chars) and used + length_in_slack(escape(chars[end])) <= limit:
            used += length_in_slack(escape(chars[end]))
            end += 1
        if end == start:
            end += 1  # a limit smaller than one entity: the entity alone
        elif end < len(chars):
            end = _break_at(chars, start, end)
        pieces.append("".join(escape(char) for char in chars[start:end]))
        start = end
    return pieces


def length_in_slack(text: str) -> int:
    """Characters as Slack's limits count them: UTF-16 units (an emoji may count two)."""
    return len(text.encode("utf-16-le")) // 2


def _break_at(chars: list[str], start: int, end: int) -> int:
    """Where a piece that cannot take chars[end] ends: after a line break or a space in its
    second half, else at `end` moved back off a joined character (never to `start`)."""
    half = start + (end - start) // 2
    for separator in ("\n", " "):
        for at in range(end, half, -1):
            if chars[at - 1] == separator:
                return at
    at = end
    while at - 1 > start and (_joins(chars[at]) or chars[at - 1] == ZWJ):
        at -= 1
    return at


ZWJ = "\u200d"


def _joins(char: str) -> bool:
    """A character drawn together with the one before it."""
    code = ord(char)
    return (
        unicodedata.combining(char) != 0
        or char == ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag characters (flags of regions)
    )


def link(url: str, label: str) -> str:
    """A labelled link to one of our own URLs (SITE_URL + a path); only the label comes from
    outside, and it is escaped."""
    return f"<{escape(url)}|{escape(label)}>"
