"""Customers, contacts, teams and agent profiles in the admin."""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import Count

from accounts import roles
from accounts.models import Account, AgentProfile, Contact, normalise_domains


class AccountForm(forms.ModelForm):
    email_domains = forms.CharField(
        required=False,
        help_text="Separate with spaces or commas: example.com, example.org.",
        widget=forms.TextInput(attrs={"size": 60}),
    )

    class Meta:
        model = Account
        fields = ["name", "email_domains", "tier", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["email_domains"] = ", ".join(self.instance.email_domains)

    def clean_email_domains(self):
        return normalise_domains(self.cleaned_data["email_domains"])


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "email"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    form = AccountForm
    list_display = [
        "name", "tier_or_default", "time_zone", "domains", "contact_count", "statement"
    ]  # fmt: skip
    list_filter = ["tier", "time_zone"]
    list_select_related = ["tier"]
    search_fields = ["name", "email_domains", "contacts__email"]
    autocomplete_fields = ["tier"]
    inlines = [ContactInline]

    @admin.display(description="statement")
    def statement(self, obj):
        """The account's statement of this month's promises (reports, managers only)."""
        from django.urls import reverse
        from django.utils.html import format_html

        url = reverse("reports:statement", args=[obj.pk])
        return format_html('<a href="{}">Statement</a>', url)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_contacts=Count("contacts"))

    def save_model(self, request, obj, form, change):
        # A tier or time-zone change goes through the services, which re-match or reschedule
        # the open threads' clocks.
        moved = [name for name in ("tier", "time_zone") if name in form.changed_data]
        if not change or not moved:
            return super().save_model(request, obj, form, change)
        from threads.services import account_set_tier, account_set_time_zone

        tier, zone = obj.tier, obj.time_zone
        obj.tier_id, obj.time_zone = form.initial.get("tier"), form.initial.get("time_zone")
        super().save_model(request, obj, form, change)
        if "tier" in moved:
            account_set_tier(account=obj, tier=tier, actor=request.user)
        if "time_zone" in moved:
            account_set_time_zone(account=obj, time_zone=zone, actor=request.user)

    @admin.display(description="tier", ordering="tier__order")
    def tier_or_default(self, obj):
        return obj.tier.name if obj.tier else "(default tier)"

    @admin.display(description="email domains")
    def domains(self, obj):
        return ", ".join(obj.email_domains)

    @admin.display(description="contacts", ordering="n_contacts")
    def contact_count(self, obj):
        return obj.n_contacts


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "account", "source"]
    list_select_related = ["account"]
    search_fields = ["email", "name", "account__name"]
    autocomplete_fields = ["account"]
    readonly_fields = ["source"]  # where they first came in: which integration key reads them


# The team's page (members, calendar, targets, warnings, escalations and alert rules) is in
# policies/admin/teams.py, beside the policies' own.


class AgentProfileInline(admin.StackedInline):
    model = AgentProfile
    can_delete = False
    verbose_name_plural = "agent profile"

    # `obj` is the user being edited: their profile is editable when the user is.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and _may_change(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _may_change(request, obj)


def _may_change(request, user) -> bool:
    if user is None:
        return True
    return roles.may_edit_user(request.user, user) or roles.may_edit_own_details(request.user, user)


class GrantableGroupsForm(forms.ModelForm):
    """Refuses any role the editing person may not hand out, whatever the POST says."""

    actor = None  # set by UserAdmin.get_form

    def clean_groups(self):
        groups = self.cleaned_data["groups"]
        allowed = set(roles.grantable_groups(self.actor).values_list("pk", flat=True))
        refused = sorted(g.name for g in groups if g.pk not in allowed)
        if refused:
            raise forms.ValidationError(
                f"Only a superuser may give the role {', '.join(refused)}.", code="not_grantable"
            )
        return groups


class UserChangeForm(GrantableGroupsForm, DjangoUserChangeForm):
    pass


# What a manager may never set, on anyone: status, the superuser flag and single permissions.
SUPERUSER_ONLY_FIELDS = ["is_staff", "is_superuser", "user_permissions"]
DATES = ["last_login", "date_joined"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Superusers edit anyone. Managers create people and edit agents (name, e-mail, active flag,
    password, the Agents role, teams and profile) but never staff or superuser status, the
    Managers role or single permissions, and only view managers and superusers; accounts/roles.py
    decides who is whose. Enforced on the form the server builds, not by hiding inputs."""

    form = UserChangeForm
    inlines = [AgentProfileInline]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "role_names"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def role_names(self, obj):
        return ", ".join(g.name for g in obj.groups.all())

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _may_change(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or request.user.is_superuser:
            return fieldsets
        # Single permissions are a superuser's business: not even shown.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "user_permissions"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None or request.user.is_superuser:
            return readonly
        if roles.may_edit_user(request.user, obj):
            return [*readonly, *SUPERUSER_ONLY_FIELDS, *DATES]
        # Their own record (anyone else's is view-only altogether): name and e-mail only. The
        # password stays a form field: its disabled widget shows the hash masked, where a
        # read-only field would print it whole.
        return [
            *readonly,
            "username",
            "is_active",
            "groups",
            *SUPERUSER_ONLY_FIELDS,
            *DATES,
        ]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if issubclass(form, GrantableGroupsForm):
            form = type(form.__name__, (form,), {"actor": request.user})
        return form

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "groups" and request is not None:
            kwargs["queryset"] = roles.grantable_groups(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def user_change_password(self, request, id, form_url=""):
        # Setting someone's password is taking over their account: only for those one may edit,
        # never one's own here (the admin's "Change password" asks for the old one).
        user = self.get_object(request, unquote(id))
        if user is not None and not roles.may_edit_user(request.user, user):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)
