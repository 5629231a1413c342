"""The mailbox form of the admin: passwords write-only once saved and tied to the server they were
saved for, hosts checked against the destination rule when saved (and again on every
connection)."""

from django import forms
from django.core.exceptions import ValidationError

from mail.models import Mailbox
from policies.secret_fields import SecretField
from slaops.outbound import DestinationNotAllowed, check_address, refusal_words

# What a saved password is tied to: change one and the password must be typed again.
DESTINATION = {
    "imap": ("imap_host", "imap_port", "imap_security", "imap_user"),
    "smtp": ("smtp_host", "smtp_port", "smtp_security", "smtp_user"),
}


class MailboxForm(forms.ModelForm):
    imap_password = SecretField(
        label="IMAP password",
        clear_label="Remove the saved password",
        help_text="Not shown again once saved; leave empty to keep it.",
    )
    smtp_password = SecretField(
        label="SMTP password",
        clear_label="Remove the saved password",
        help_text="Not shown again once saved; leave empty to keep it.",
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "address",
            "active",
            "team",
            "priority",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_user",
            "imap_password",
            "imap_folder",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_user",
            "smtp_password",
            "authserv_id",
            "microsoft_365",
            "plus_addressing",
        ]

    def clean_address(self):
        return self.cleaned_data["address"].strip().lower()

    def _host(self, name: str) -> str:
        host = self.cleaned_data.get(name, "").strip().lower()
        if any(c.isspace() or c in "/@?#" for c in host):
            raise ValidationError("Only a host name or address, e.g. imap.example.com.")
        try:
            import ipaddress

            check_address(ipaddress.ip_address(host.strip("[]")))
        except ValueError:
            pass  # a name: its addresses are checked on every connection
        except DestinationNotAllowed as error:
            raise ValidationError(refusal_words(str(error))) from None
        return host

    def clean_authserv_id(self):
        value = self.cleaned_data.get("authserv_id", "").strip().lower()
        if any(c.isspace() or c in ";()=" for c in value):
            raise ValidationError("Only the server's name, e.g. mx.google.com.")
        return value

    def clean_imap_host(self):
        return self._host("imap_host")

    def clean_smtp_host(self):
        return self._host("smtp_host")

    def clean(self):
        data = super().clean()
        if data.get("imap_host") and not data.get("imap_user"):
            self.add_error("imap_user", "Reading a mailbox over IMAP needs its user name.")
        self.cleared = self._clear_moved_passwords(data)
        return data

    def _clear_moved_passwords(self, data) -> list[str]:
        """A saved password goes only where it was saved for: when the host, port, user or
        security of its server changes, it is removed unless it is typed again (as GitHub does
        with a webhook's URL and secret). Otherwise whoever may edit a mailbox could point it at
        their own server and press "Test connection" to receive the password."""
        if self.instance.pk is None:
            return []
        cleared = []
        for protocol, password in (("imap", "imap_password"), ("smtp", "smtp_password")):
            if self[password].data or not getattr(self.instance, password):
                continue  # typed again, or nothing saved
            moved = [
                name
                for name in DESTINATION[protocol]
                if name in data and data[name] != getattr(self.instance, name)
            ]
            if moved:
                data[password] = ""
                cleared.append(
                    f"The saved {self.fields[password].label} was removed because the "
                    f"{self.fields[moved[0]].label} changed: type it again."
                )
        return cleared
