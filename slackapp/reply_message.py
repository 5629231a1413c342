"""How an agent's reply looks in Slack: under the agent's own name and picture
(chat:write.customize: `username`, `icon_url`) as Block Kit sections of mrkdwn, with the same
text as the fallback that notifications and older clients show. The reply is escaped in
slaops/mrkdwn.py, so it reads as written and cannot mention the channel or disguise a link."""

import unicodedata

from slaops.mrkdwn import NO_AUTOLINK, escape_in_pieces, length_in_slack
from threads.models import Message

SECTION_LIMIT = 3000  # Block Kit: a section's text holds at most 3,000 characters
# Slack also refuses a message whose blocks hold about 12,000 characters in all
# (msg_blocks_too_long, counted by Slack, not documented); a longer reply goes as text only.
BLOCKS_LIMIT = 11_000
TEXT_LIMIT = 40_000  # Slack cuts a message's text after 40,000 characters
NAME_LIMIT = 80
CUT_NOTE = "\n\n_(This reply is too long for Slack and ends here.)_"
NO_TEXT = "_(no text)_"


def reply_content(message: Message) -> dict:
    """chat.postMessage's arguments for the message itself (not where it goes)."""
    shown = {"mrkdwn": True} | NO_AUTOLINK | identity(message.author_user)
    pieces = [piece for piece in escape_in_pieces(message.body, SECTION_LIMIT) if piece.strip()]
    if not pieces:
        return shown | {"text": NO_TEXT}
    if sum(length_in_slack(piece) for piece in pieces) > BLOCKS_LIMIT:
        return shown | {"text": _cut(message.body)}
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece, "verbatim": True}}
        for piece in pieces
    ]
    return shown | {"text": "".join(pieces), "blocks": blocks}


def identity(author) -> dict:
    """The agent's name as the post's author, and their picture when their profile has one;
    nothing (the Slack app's own name and icon) when the reply has no author any more."""
    if author is None:
        return {}
    # `username` is shown as plain text, not read as mrkdwn; still, a name never needs `<` or
    # `>`, so none reaches Slack where a mention could be spelled.
    name = "".join(
        c for c in author.get_full_name() if unicodedata.category(c) != "Cc" and c not in "<>"
    )
    shown = {"username": (name.strip() or author.username)[:NAME_LIMIT]}
    profile = getattr(author, "agent_profile", None)
    avatar = profile.avatar_url if profile is not None else ""
    if avatar.startswith("https://"):
        shown["icon_url"] = avatar
    return shown


def _cut(body: str) -> str:
    """The whole reply as text, or as much as Slack shows and a note that it ends there."""
    pieces = escape_in_pieces(body, TEXT_LIMIT - length_in_slack(CUT_NOTE))
    return pieces[0] + (CUT_NOTE if len(pieces) > 1 else "")
