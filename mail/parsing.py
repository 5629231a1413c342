"""One raw e-mail read into what SLA Ops needs: who, what, which conversation, and what kind of
mail it is (a customer, an auto-reply, a bounce).

Parsing is Python's `email` package with `policy=default`; HTML becomes text through nh3 (the
Ammonia sanitizer) and the standard library's HTML parser, never through a regular expression.
"""

import email
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

import nh3

MAX_ADDRESS = 254  # RFC 5321's longest path; a longer "address" is no address
MAX_ID = 300  # longer Message-IDs (rare, hostile) are replaced by their digest
# RFC 3834 and what common auto-responders send instead.
AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")
BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
BLOCK_TAGS = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "table", "ul", "ol", "hr",
}  # fmt: skip


@dataclass
class Part:
    filename: str
    content_type: str
    content: bytes


@dataclass
class Parsed:
    message_id: str
    subject: str
    from_address: str
    from_name: str
    to: list[str]
    date: datetime | None
    in_reply_to: list[str]
    references: list[str]
    full_text: str
    display_text: str
    auto_reply: bool
    bounce: bool
    bounced_message_id: str
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[Part] = field(default_factory=list)
    # Every address of every From field: more than one is never a sender anyone vouches for.
    from_addresses: list[str] = field(default_factory=list)
    # The Authentication-Results fields, topmost (the last server's) first.
    authentication_results: list[str] = field(default_factory=list)
    # The provider's DMARC verdict where it sends one (Amazon SES's dmarcVerdict): True pass,
    # False fail, None when nobody said (IMAP, the other providers).
    provider_dmarc_pass: bool | None = None

    @property
    def related_ids(self) -> list[str]:
        """The Message-IDs this one answers, nearest first."""
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))


class ParseError(Exception):
    """Not an e-mail we can read (no headers, nothing to parse)."""


def parse(raw: bytes) -> Parsed:
    message = email.message_from_bytes(raw, policy=default_policy)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise ParseError("not an e-mail: no headers")
    # A From without a usable address (none, a group, one too long to be an address) is kept
    # with an unknown sender: the message is never lost over its From. Of several addresses
    # the first is the sender.
    sender = [(n, a) for n, a in _addresses(message, "From") if len(a) <= MAX_ADDRESS]
    from_name, from_address = sender[0] if sender else (_header(message, "From"), "")
    text = body_text(message)
    bounce = message.get_content_type() == "multipart/report"
    return Parsed(
        message_id=_message_id(message, raw),
        subject=_header(message, "Subject")[:300],
        from_address=from_address,
        from_name=from_name[:200],
        to=[a for _, a in _addresses(message, "To") + _addresses(message, "Cc")],
        date=_date(message),
        in_reply_to=_ids(_header(message, "In-Reply-To")),
        references=_ids(_header(message, "References")),
        full_text=text,
        display_text=trimmed(text),
        auto_reply=not bounce and is_auto_reply(message),
        bounce=bounce,
        bounced_message_id=_bounced_id(message) if bounce else "",
        headers={k: _header(message, k) for k in ("X-SLA-Ops-Thread", "X-SLA-Ops-Mailbox")},
        attachments=list(_attachments(message)),
        from_addresses=[a for _, a in sender],
        authentication_results=_all(message, "Authentication-Results"),
    )


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot make sense of
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _all(message: EmailMessage, name: str) -> list[str]:
    """Every field of that name, in the order they stand (a server adds its own on top)."""
    try:
        values = message.get_all(name) or []
        return [" ".join(str(v).split()) for v in values]
    except (ValueError, IndexError, TypeError):
        return []


def _addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    try:
        values = message.get_all(name) or []
        found = getaddresses([str(v) for v in values])
    except (ValueError, IndexError, TypeError):
        return []
    return [(n.strip(), a.strip().lower()) for n, a in found if "@" in a]


def _ids(value: str) -> list[str]:
    """Message-IDs in a header, with their angle brackets, in order."""
    found, current = [], None
    for char in value:
        if char == "<":
            current = "<"
        elif char == ">" and current is not None:
            if len(current) > 1:
                found.append(current + ">")
            current = None
        elif current is not None and not char.isspace():
            current += char
    return [i for i in found if len(i) <= MAX_ID]


def _message_id(message: EmailMessage, raw: bytes) -> str:
    ids = _ids(_header(message, "Message-ID"))
    if ids:
        return ids[0]
    # Without one, the content names it: the same file fed twice is still one message.
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _date(message: EmailMessage) -> datetime | None:
    try:
        value = parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return value if value.tzinfo is not None else None


def is_auto_reply(message: EmailMessage) -> bool:
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if any(_header(message, name) for name in AUTO_REPLY_HEADERS[:2]):
        return True
    return _header(message, "Precedence").lower() in BULK_PRECEDENCE


def body_text(message: EmailMessage) -> str:
    """Plain text when there is some, else the HTML as safe text."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        content = part.get_content()
    except (LookupError, ValueError, KeyError, AssertionError):  # unknown charset, broken part
        return ""
    if part.get_content_type() == "text/html":
        return html_to_text(content)
    return _tidy(content)


class _TextCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_endtag(self, tag):
        if tag in BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_data(self, data):
        self.chunks.append(" ".join(data.split(" ")))


def html_to_text(html: str) -> str:
    """nh3 removes everything unsafe (scripts, styles, their content, every attribute); the
    standard parser then reads what is left as text, with a line break per block."""
    safe = nh3.clean(html, tags=BLOCK_TAGS | {"span", "a", "b", "i", "strong", "em"}, attributes={})
    collector = _TextCollector()
    collector.feed(safe)
    collector.close()
    return _tidy("".join(collector.chunks))


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def trimmed(text: str) -> str:
    """What the thread page shows: the new text, without the quoted history below it and the
    signature ("-- " line). The full text is kept beside it."""
    kept: list[str] = []
    for line in text.split("\n"):
        if line.rstrip() == "--" or line.strip().startswith("-----Original Message-----"):
            break
        kept.append(line)
    # The quote at the bottom, and the "On Mon, Ann wrote:" line that introduces it.
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    if len(kept) > 1 and kept[-1].rstrip().endswith("wrote:"):
        kept.pop()
    return "\n".join(kept).strip() or text


def _bounced_id(message: EmailMessage) -> str:
    """The Message-ID of the message a delivery report is about, if it quotes its headers."""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, email.message.Message):
                ids = _ids(str(inner.get("Message-ID", "")))
                if ids:
                    return ids[0]
        elif kind == "text/rfc822-headers":
            try:
                headers = email.message_from_string(part.get_content(), policy=default_policy)
            except (LookupError, ValueError):
                continue
            ids = _ids(str(headers.get("Message-ID", "")))
            if ids:
                return ids[0]
    return ""


def _attachments(message: EmailMessage):
    if message.get_content_type() == "multipart/report":
        return
    for part in message.iter_attachments():
        if part.is_multipart() or part.get_content_type().startswith("message/"):
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError, KeyError):
            continue
        if isinstance(content, str):
            content = content.encode()
        name = (part.get_filename() or "attachment").replace("/", "_").replace("\\", "_")
        yield Part(filename=name[:255], content_type=part.get_content_type(), content=content)
