"""Customer accounts and contacts: serializers and viewsets.

Who reads which: managers and agents every account and contact; a team-limited agent those of
the threads they may see; an integration key the accounts of its source's threads and the
contacts its source brought in (see `scoped_accounts`, `scoped_contacts`). Anyone who may read
accounts finds one by its exact name or e-mail domain (`?name=`, `?domain=`), to name it when
opening a thread; anything else outside their scope is a 404, so ids do not leak."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from accounts.models import Account, Contact, normalise_email
from accounts.services import UNSET, contact_upsert
from integrations.authentication import integration_key
from integrations.permissions import READ
from policies.models import Tier
from threads import selectors, services
from threads.api.fields import BAD_INPUT, ApiModelSerializer, IdField, TextField, one_line
from threads.models import Message, Thread


def scoped_accounts(request, accounts):
    """The accounts this caller may list and read by id."""
    key = integration_key(request)
    if key is None:
        return selectors.visible_accounts(accounts, user=request.user)
    return accounts.filter(Exists(Thread.objects.filter(account=OuterRef("pk"), source=key.source)))


def scoped_contacts(request, contacts):
    """The contacts this caller may list and read by id. A key reads only contacts its own
    source brought in (`Contact.source`) and that are on its threads: naming a known address in
    a message links that contact to the message and shows the key nothing more of them."""
    key = integration_key(request)
    if key is None:
        return selectors.visible_contacts(contacts, user=request.user)
    return contacts.filter(source=key.source).filter(
        Exists(Thread.objects.filter(contact=OuterRef("pk"), source=key.source))
        | Exists(Message.objects.filter(contact=OuterRef("pk"), thread__source=key.source))
    )


class AccountSerializer(ApiModelSerializer):
    email_domains = serializers.ListField(
        child=TextField(max_length=253),
        required=False,
        help_text='Mail from these domains belongs to this account, e.g. ["example.com"].',
    )
    tier = IdField(
        queryset=Tier.objects.all(),
        allow_null=True,
        required=False,
        help_text="Tier id; null = the default tier. Changing it re-matches the open threads.",
    )

    class Meta:
        model = Account
        fields = ["id", "name", "email_domains", "tier", "time_zone", "created_at"]
        read_only_fields = ["created_at"]

    def validate_name(self, value: str) -> str:
        return one_line(value)

    def validate_email_domains(self, value):
        account = Account(email_domains=value)
        try:
            account.clean()  # the model's own rule: normalised, lower-case, real domains
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict["email_domains"]) from None
        return account.email_domains


class ContactSerializer(ApiModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "email", "name", "account", "created_at"]
        read_only_fields = ["created_at"]
        # POST is an upsert: an email that exists already is not an error.
        extra_kwargs = {"email": {"validators": []}}

    def validate_email(self, value: str) -> str:
        return normalise_email(value)

    def validate_name(self, value: str) -> str:
        return one_line(value)


class AccountLookupSerializer(serializers.Serializer):
    """Query parameters of the account list: an exact look-up across every account."""

    name = TextField(
        max_length=200,
        required=False,
        help_text="The account with exactly this name (case-insensitive), whoever's threads "
        "it is on.",
    )
    domain = TextField(
        max_length=253,
        required=False,
        help_text="The account that claims this e-mail domain (exact), whoever's threads it is on.",
    )

    def validate(self, data):
        # A query string drops blank parameters before validation; a blank look-up would then
        # list the caller's accounts, which an integrator could take for the one it asked for.
        blank = {
            name: "Give a value: a blank look-up finds no account."
            for name in ("name", "domain")
            if name in self.initial_data and not self.initial_data[name].strip()
        }
        if blank:
            raise serializers.ValidationError(blank)
        return data

    def validate_name(self, value: str) -> str:
        return value.strip()

    def validate_domain(self, value: str) -> str:
        return value.strip().lower()


def looked_up(accounts, lookup: dict):
    """The accounts of an exact look-up, or None when none was asked for."""
    if not lookup:
        return None
    if "name" in lookup:
        accounts = accounts.filter(name__iexact=lookup["name"])
    if "domain" in lookup:
        domain = lookup["domain"]
        # Narrow in SQL (the JSON text holds the quoted domain), then confirm exactly.
        candidates = accounts.filter(email_domains__icontains=f'"{domain}"')
        claimed = [a.pk for a in candidates if domain in a.email_domains]
        accounts = accounts.filter(pk__in=claimed)
    return accounts


@extend_schema_view(
    list=extend_schema(
        summary="List accounts, or find one by exact name or e-mail domain",
        description="Lists the accounts this caller may read (an integration key: those of its "
        "source's threads; a team-limited agent: those of their teams' threads). `?name=` or "
        "`?domain=` finds an account by exact name or e-mail domain among all of them.",
        parameters=[AccountLookupSerializer],
        responses={200: AccountSerializer(many=True), 400: BAD_INPUT},
    ),
    create=extend_schema(responses={201: AccountSerializer, 400: BAD_INPUT}),
    update=extend_schema(responses={200: AccountSerializer, 400: BAD_INPUT}),
    partial_update=extend_schema(responses={200: AccountSerializer, 400: BAD_INPUT}),
)
class AccountViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customer accounts. A tier change re-matches the account's open threads.

    Reading needs the permission to view accounts (Agents, Managers); creating and changing the
    account permissions (Managers). Integration keys may read them, to name an account: those of
    their source's threads, and any one found by its exact name or domain."""

    lookup_value_regex = r"[0-9]+"  # any other id is a 404, never a 500

    integration_access = READ
    queryset = Account.objects.order_by("name", "id")
    serializer_class = AccountSerializer

    def get_queryset(self):
        accounts = super().get_queryset()
        if self.action == "list":
            lookup = AccountLookupSerializer(data=self.request.query_params)
            lookup.is_valid(raise_exception=True)
            found = looked_up(accounts, lookup.validated_data)
            if found is not None:
                return found
        return scoped_accounts(self.request, accounts)

    def perform_update(self, serializer):
        account = serializer.instance
        tier_given = "tier" in serializer.validated_data
        tier = serializer.validated_data.pop("tier", None)
        zone = serializer.validated_data.pop("time_zone", account.time_zone)
        with transaction.atomic():
            serializer.save()
            if tier_given and (tier.pk if tier else None) != account.tier_id:
                services.account_set_tier(account=account, tier=tier, actor=self.request.user)
            if zone != account.time_zone:
                services.account_set_time_zone(
                    account=account, time_zone=zone, actor=self.request.user
                )


class ContactViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """People who write in. POST upserts by email (lower-cased) and needs the contact
    permissions (Managers). An integration key reads only the contacts its source brought in
    (threads and customer messages upsert their contacts themselves); a team-limited agent those
    of the threads they may see."""

    lookup_value_regex = r"[0-9]+"  # any other id is a 404, never a 500

    integration_access = READ
    queryset = Contact.objects.order_by("email")
    serializer_class = ContactSerializer

    def get_queryset(self):
        return scoped_contacts(self.request, super().get_queryset())

    @extend_schema(
        responses={
            200: OpenApiResponse(ContactSerializer, description="Existing contact, updated."),
            201: OpenApiResponse(ContactSerializer, description="New contact."),
            400: BAD_INPUT,
        },
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        contact, created = contact_upsert(
            email=data["email"],
            name=data.get("name"),
            account=data.get("account", UNSET),
        )
        return Response(
            self.get_serializer(contact).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
