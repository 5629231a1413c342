"""The mail app in the admin: mailboxes (with “Test connection”), what came in, what went out
(with “Retry now”)."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied

from mail import services
from mail.connections import connection_report
from mail.forms import MailboxForm
from mail.models import Attachment, InboundEmail, Mailbox, OutboundEmail
from policies.admin.helpers import InViewerZone

TEST_BUTTON = "_test_connection"


@admin.register(Mailbox)
class MailboxAdmin(InViewerZone, admin.ModelAdmin):
    form = MailboxForm
    change_form_template = "admin/mail/mailbox/change_form.html"
    list_display = ["name", "address", "active", "reads", "sends", "team", "last_polled_at"]
    list_filter = ["active"]
    list_select_related = ["team"]
    search_fields = ["name", "address"]
    readonly_fields = ["last_polled_at", "last_error"]
    actions = ["check_connection"]
    fieldsets = [
        (None, {"fields": ["name", "address", "active", "team", "priority"]}),
        (
            "Reading (IMAP)",
            {
                "fields": [
                    "imap_host",
                    "imap_port",
                    "imap_security",
                    "imap_user",
                    "imap_password",
                    "imap_folder",
                ],
                "description": "Polled every minute; each unread message becomes a thread or "
                "joins the one it answers, and is marked read once stored. Leave the host empty "
                "if a provider's inbound webhook brings this mailbox's mail.",
            },
        ),
        (
            "Sending (SMTP)",
            {
                "fields": [
                    "smtp_host",
                    "smtp_port",
                    "smtp_security",
                    "smtp_user",
                    "smtp_password",
                ],
                "description": "Agents' replies go out from this address with the agent's name.",
            },
        ),
        (
            "Which thread an e-mail joins",
            {
                "fields": ["authserv_id", "microsoft_365", "plus_addressing"],
                "description": "A reply to one of our e-mails, or one carrying the thread's code "
                "([#238-k7qxa2mbte] in the subject), always joins its thread. A bare [#238] or a "
                "customer's own earlier e-mail joins only if the sender is verified: your "
                "receiving mail server must have found the sender genuine (DMARC pass). "
                "Anything else opens a new thread noted “possibly about #238”.",
            },
        ),
        ("Last poll", {"fields": ["last_polled_at", "last_error"]}),
    ]

    @admin.display(description="reads")
    def reads(self, obj):
        return f"IMAP {obj.imap_host}" if obj.imap_host else "webhook"

    @admin.display(description="sends")
    def sends(self, obj):
        return f"SMTP {obj.smtp_host}" if obj.smtp_host else "EMAIL_URL"

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            # A read-only page would print the saved passwords: leave them out.
            return [
                (name, {**opts, "fields": [f for f in opts["fields"] if "password" not in f]})
                for name, opts in self.fieldsets
            ]
        return self.fieldsets

    @admin.action(description="Test connection", permissions=["change"])
    def check_connection(self, request, queryset):
        for mailbox in queryset:
            self._report(request, mailbox)

    def _report(self, request, mailbox: Mailbox) -> None:
        results = connection_report(mailbox)
        text = " ".join(message for _, message in results)
        level = messages.SUCCESS if all(ok for ok, _ in results) else messages.ERROR
        self.message_user(request, f"{mailbox.name}: {text}", level)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for text in getattr(form, "cleared", []):
            self.message_user(request, text, messages.WARNING)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and TEST_BUTTON in request.POST:
            return self._test_unsaved(request, object_id, form_url)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _test_unsaved(self, request, object_id, form_url):
        """The page's "Test connection" button: tests what the form says now, without saving
        it, under the same rule as saving (a password is not sent to a server it was not saved
        for), and shows the page again with what was typed."""
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        if object_id and obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        allowed = (
            self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        )
        if not allowed:
            raise PermissionDenied
        form = self.get_form(request, obj, change=obj is not None)(
            request.POST, request.FILES, instance=obj
        )
        if form.is_valid():
            candidate = form.save(commit=False)  # not saved: only tried
            for text in form.cleared:
                self.message_user(
                    request, text.replace("was removed", "was not used"), messages.WARNING
                )
            self._report(request, candidate)
        fieldsets = self.get_fieldsets(request, obj)
        admin_form = helpers.AdminForm(
            form, list(fieldsets), {}, self.get_readonly_fields(request, obj), model_admin=self
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Change {self.opts.verbose_name}" if obj else f"Add {self.opts.verbose_name}",
            "subtitle": str(obj) if obj else None,
            "adminform": admin_form,
            "object_id": object_id,
            "original": obj,
            "is_popup": False,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
        }
        return self.render_change_form(
            request, context, add=obj is None, change=obj is not None, obj=obj, form_url=form_url
        )


class AttachmentInline(admin.TabularInline):
    model = Attachment
    fields = ["filename", "content_type", "size"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    list_display = ["received_at", "mailbox", "kind", "from_address", "subject", "thread", "via"]
    list_filter = ["kind", "mailbox", "via", "sender_vouched"]
    list_select_related = ["mailbox", "thread"]
    search_fields = ["from_address", "subject", "message_id"]
    date_hierarchy = "received_at"
    inlines = [AttachmentInline]
    readonly_fields = [
        "mailbox",
        "message_id",
        "kind",
        "thread",
        "thread_message",
        "from_address",
        "from_name",
        "subject",
        "recipients",
        "sender_vouched",
        "references",
        "full_text",
        "bounced_message_id",
        "via",
        "received_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the record of what came in is not edited


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to_address", "subject", "status", "attempts", "last_error"]
    list_filter = ["status", "mailbox", "bounced"]
    list_select_related = ["mailbox"]
    search_fields = ["to_address", "subject", "message_id"]
    actions = ["retry"]
    readonly_fields = [
        "reply",
        "mailbox",
        "from_name",
        "to_address",
        "subject",
        "message_id",
        "in_reply_to",
        "references",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "bounced",
        "created_at",
        "sent_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    @admin.action(description="Retry now", permissions=["change"])
    def retry(self, request, queryset):
        count = sum(services.retry_now(outbound=o) for o in queryset)
        self.message_user(request, f"{count} replies will be sent again now.")
