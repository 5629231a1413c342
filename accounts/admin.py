"""Customers, contacts, teams and agent profiles in the admin."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count

from accounts.models import Account, AgentProfile, Contact, Team, normalise_domains


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
    list_display = ["name", "tier_or_default", "time_zone", "domains", "contact_count"]
    list_filter = ["tier", "time_zone"]
    list_select_related = ["tier"]
    search_fields = ["name", "email_domains", "contacts__email"]
    autocomplete_fields = ["tier"]
    inlines = [ContactInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_contacts=Count("contacts"))

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
    list_display = ["email", "name", "account"]
    list_select_related = ["account"]
    search_fields = ["email", "name", "account__name"]
    autocomplete_fields = ["account"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count"]
    search_fields = ["name"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_members=Count("members"))

    @admin.display(description="members", ordering="n_members")
    def member_count(self, obj):
        return obj.n_members


class AgentProfileInline(admin.StackedInline):
    model = AgentProfile
    can_delete = False
    verbose_name_plural = "agent profile"


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [AgentProfileInline]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "roles"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def roles(self, obj):
        return ", ".join(g.name for g in obj.groups.all())
