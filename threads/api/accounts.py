"""Customer accounts and contacts: serializers and viewsets."""

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
from threads import services
from threads.api.fields import BAD_INPUT, ApiModelSerializer, IdField, TextField, one_line
from threads.models import Message, Thread


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


@extend_schema_view(
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
    account permissions (Managers). Integration keys may read them, to name an account."""

    lookup_value_regex = r"[0-9]+"  # any other id is a 404, never a 500

    integration_access = READ
    queryset = Account.objects.order_by("name", "id")
    serializer_class = AccountSerializer

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
    permissions (Managers). An integration key reads only the contacts of its source's threads
    (threads and customer messages upsert their contacts themselves)."""

    lookup_value_regex = r"[0-9]+"  # any other id is a 404, never a 500

    integration_access = READ
    queryset = Contact.objects.order_by("email")
    serializer_class = ContactSerializer

    def get_queryset(self):
        contacts = super().get_queryset()
        key = integration_key(self.request)
        if key is None:
            return contacts
        return contacts.filter(
            Exists(Thread.objects.filter(contact=OuterRef("pk"), source=key.source))
            | Exists(Message.objects.filter(contact=OuterRef("pk"), thread__source=key.source))
        )

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
