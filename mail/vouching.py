"""Whether an e-mail's sender is who its From says: "vouched for" (docs/rules.md, "Which thread an
e-mail joins").

Anyone can write any From. What vouches for it is a DMARC pass for the From's domain, as
recorded by a server we trust: the mailbox's own receiving server in its Authentication-Results
field (RFC 8601; read with `authres`, the dkimpy author's parser), or a provider's verdict where
the provider gives one (Amazon SES). A field any other server wrote, or the sender wrote itself,
says nothing.
"""

import authres

from mail.models import Mailbox
from mail.parsing import Parsed

# Microsoft 365 writes its field without an authserv-id, which RFC 8601 requires: the parser is
# given one to read it by.
UNNAMED = "unnamed.invalid"


def vouched_for(parsed: Parsed, mailbox: Mailbox, *, provider_verdict: bool = False) -> bool:
    """True if the sender's domain passed DMARC by the word of this mailbox's receiving server
    (or of the provider that brought it: `provider_verdict`). Several From addresses never pass:
    DMARC speaks for one domain, and mail clients show the others as senders too."""
    if len(parsed.from_addresses) != 1:
        return False
    if provider_verdict:
        return True
    field = _receiving_servers_field(parsed.authentication_results, mailbox)
    if field is None:
        return False
    domain = parsed.from_address.rpartition("@")[2].lower()
    return any(
        result.method == "dmarc"
        and result.result == "pass"
        and any(
            (prop.type, prop.name) == ("header", "from") and prop.value.lower() == domain
            for prop in result.properties
        )
        for result in field.results
    )


def _receiving_servers_field(values: list[str], mailbox: Mailbox):
    """The one Authentication-Results field the mailbox's receiving server wrote: the topmost
    one (a server adds its own above what the message brought; a sender can add any below).
    One that cannot be read ends the search: whose it was is unknown, so nothing below it is
    trusted."""
    if mailbox.microsoft_365:
        return _read(values[0], unnamed=True) if values else None
    wanted = mailbox.authserv_id.strip().lower()
    if not wanted:
        return None
    for value in values:
        field = _read(value)
        if field is None:
            return None
        if (field.authserv_id or "").lower() == wanted:
            return field
    return None


def _read(value: str, *, unnamed: bool = False):
    try:
        return authres.AuthenticationResultsHeader.parse_value(value)
    except (authres.AuthResError, ValueError, IndexError, TypeError):
        if not unnamed:
            return None
    try:
        return authres.AuthenticationResultsHeader.parse_value(f"{UNNAMED}; {value}")
    except (authres.AuthResError, ValueError, IndexError, TypeError):
        return None
