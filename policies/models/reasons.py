"""Why a clock missed its due time: the managers' list of breach reasons. An *excused* reason
leaves a breach out of the contract view (what the customer is owed), never out of the operations
view (what the team must fix)."""

from django.core.exceptions import ValidationError
from django.db import models


class BreachReason(models.Model):
    name = models.CharField(max_length=80, unique=True)
    description = models.TextField(
        blank=True, help_text="For the team: when to choose this reason. Never shown to customers."
    )
    customer_text = models.CharField(
        "text for customers",
        max_length=200,
        blank=True,
        help_text="What a customer's statement says for a breach with this reason; empty: "
        "“Outside our control” for an excused reason, “Missed on our side” otherwise (never the "
        "name, which is the team's word).",
    )
    excused = models.BooleanField(
        default=False,
        help_text="Excused breaches (e.g. customer unreachable, a third party's outage) are left "
        "out of the contract figures once a manager confirmed the reason. Fixed once the reason "
        "is used.",
    )
    active = models.BooleanField(default=True, help_text="Unticked: no longer offered.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (excused)" if self.excused else self.name

    @property
    def shown_to_customers(self) -> str:
        """The text a customer's statement gives: never the name, which is the team's own word
        ("Understaffed"); without a text of its own, a plain one."""
        return self.customer_text or (
            "Outside our control" if self.excused else "Missed on our side"
        )

    def is_used(self) -> bool:
        return self.pk is not None and self.clocks.exists()

    def clean(self):
        if self.pk is None:
            return
        saved = BreachReason.objects.filter(pk=self.pk).values_list("excused", flat=True).first()
        if saved is not None and saved != self.excused and self.is_used():
            raise ValidationError(
                {
                    "excused": "This reason was given to breaches already: whether it excuses "
                    "them cannot change. Make a new reason instead."
                }
            )
