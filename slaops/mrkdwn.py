"""Text for Slack: everything we post that we did not write ourselves (subjects, account names,
agents' replies, their names) goes through `escape`, the one place that encodes for Slack.

Slack reads `&`, `<` and `>` as control characters (docs.slack.dev, "Formatting text": escaping
text); every mention, channel link and labelled link needs a `<`, so once the three are entities
a text cannot form `<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>`, `<@U…>`, `<#C…>` or
`<url|label>`. Only `link` writes a real `<…>`, for our own URLs. slack_sdk has no helper for
this (it leaves formatting to the caller)."""

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


def link(url: str, label: str) -> str:
    """A labelled link to one of our own URLs (SITE_URL + a path); only the label comes from
    outside, and it is escaped."""
    return f"<{escape(url)}|{escape(label)}>"
