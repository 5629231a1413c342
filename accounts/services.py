"""Writes and lookups for customers: contacts found by email, accounts by email domain."""

from accounts.models import Account, Contact, normalise_email

UNSET = object()  # "leave the account as it is"


def contact_upsert(
    *, email: str, name=None, account=UNSET, source: str = ""
) -> tuple[Contact, bool]:
    """The contact with this email, created or updated with the name/account given. `source` is
    where a new contact came in (a thread's source; "" = a person added them): it is kept from
    their first appearance on and never changed, so naming a known address elsewhere does not
    make the contact another source's."""
    email = normalise_email(email)
    contact, created = Contact.objects.get_or_create(
        email=email,
        defaults={
            "name": name or "",
            "account": None if account is UNSET else account,
            "source": source,
        },
    )
    if not created:
        changed = []
        if name is not None and name != contact.name:
            contact.name = name
            changed.append("name")
        if account is not UNSET and account != contact.account:
            contact.account = account
            changed.append("account")
        if changed:
            contact.save(update_fields=changed)
    return contact, created


def account_for_email(email: str) -> Account | None:
    """The account that claims the email's domain (exact match, first by name)."""
    domain = email.rsplit("@", 1)[-1].lower()
    # Narrow in SQL (the JSON text holds the quoted domain), then confirm exactly.
    candidates = Account.objects.filter(email_domains__icontains=f'"{domain}"').order_by("name")
    return next((a for a in candidates if domain in a.email_domains), None)
