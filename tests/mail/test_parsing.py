"""Reading raw e-mails: text, HTML made safe, quotes and signatures trimmed, kinds of mail."""

import re

import pytest

from mail.parsing import ParseError, html_to_text, parse, trimmed
from tests.mail.conftest import mail


def test_plain_text_is_preferred_to_html():
    parsed = parse(mail(body="Plain words", html="<p>HTML words</p>"))
    assert parsed.full_text == "Plain words"


def test_html_only_mail_becomes_safe_text_without_scripts_or_styles():
    raw = mail(
        body=None,
        html="<style>p{color:red}</style><script>alert(1)</script><p>Hi &amp; hello</p>"
        '<p onclick="x()">Line <b>two</b></p><ul><li>a</li><li>b</li></ul>',
    )
    text = parse(raw).full_text
    assert text == "Hi & hello\n\nLine two\n\na\n\nb"
    assert "alert" not in text and "color" not in text


def test_html_markup_in_text_stays_text():
    # Safe text, not HTML: the page escapes it again when it shows it.
    assert html_to_text("<p>&lt;script&gt;x&lt;/script&gt;</p>") == "<script>x</script>"


def test_quoted_history_and_signature_are_trimmed_for_display_and_kept_in_full():
    body = "Still broken.\n\nOn Mon, Ann wrote:\n> Hello\n> the printer\n-- \nAnn Lee, Acme"
    parsed = parse(mail(body=body))
    assert parsed.display_text == "Still broken."
    assert "> the printer" in parsed.full_text


def test_a_message_that_is_only_a_quote_keeps_its_text():
    assert trimmed("> only quoted") == "> only quoted"


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
    ],
)
def test_auto_replies_are_recognised(headers):
    assert parse(mail(headers=headers)).auto_reply


def test_auto_submitted_no_is_a_person():
    assert not parse(mail(headers={"Auto-Submitted": "no"})).auto_reply


def test_threading_ids_are_read_nearest_first():
    parsed = parse(
        mail(headers={"In-Reply-To": "<b@x>", "References": "<a@x> <b@x>"}, message_id="<c@x>")
    )
    assert parsed.message_id == "<c@x>"
    assert parsed.related_ids == ["<b@x>", "<a@x>"]


def test_a_message_without_message_id_is_named_by_its_content():
    raw = mail(message_id=None)
    assert parse(raw).message_id == parse(raw).message_id
    assert parse(raw).message_id.startswith("sha256:")


def test_attachments_keep_name_type_and_bytes():
    parsed = parse(mail(attachments=[("log.txt", "text/plain", b"line 1\n")]))
    [part] = parsed.attachments
    assert (part.filename, part.content_type, part.content) == (
        "log.txt",
        "text/plain",
        b"line 1\n",
    )


def test_a_path_in_an_attachment_name_is_not_a_path():
    parsed = parse(mail(attachments=[("../../etc/passwd", "text/plain", b"x")]))
    assert "/" not in parsed.attachments[0].filename


@pytest.mark.parametrize("raw", [b"", b"not an e-mail at all", b"only words, no headers\n"])
def test_what_is_not_an_email_is_refused_with_the_reason(raw):
    with pytest.raises(ParseError):
        parse(raw)


@pytest.mark.parametrize(
    "sender",
    [
        None,  # no From at all
        "Ann Lee",  # a name, no address
        "undisclosed-recipients:;",  # an empty group
        "=?utf-8?b?////?= <>",  # a broken encoded word, an empty address
        f"Ann <{'a' * 300}@acme.com>",  # longer than any address can be
    ],
)
def test_a_from_without_a_usable_address_is_kept_with_an_unknown_sender(sender):
    raw = mail(sender=sender or "x@y")
    if sender is None:
        raw = re.sub(rb"^From: .*\r?\n", b"", raw, flags=re.MULTILINE)
    parsed = parse(raw)
    assert parsed.from_address == "" and parsed.display_text.startswith("Hello")


def test_of_several_from_addresses_the_first_is_the_sender():
    parsed = parse(mail(sender="ann@acme.com, bob@other.example"))
    assert parsed.from_address == "ann@acme.com"
