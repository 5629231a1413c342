"""Prebuilt policy templates a manager starts from; each becomes real, editable policies."""

from dataclasses import dataclass, field

from policies.vocabulary import Metric, Priority, ThreadStatus

FRT, NRT, RT = Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.RESOLUTION


@dataclass(frozen=True)
class PolicySpec:
    name: str
    targets: list[tuple[str, str, str]]  # (metric, priority or "", duration text)
    tiers: list[str] = field(default_factory=list)
    priorities: list[str] = field(default_factory=list)
    thresholds: list[tuple[str, int]] = field(
        default_factory=lambda: [("percent_used", 75), ("minutes_before", 15)]
    )
    pause_statuses: list[str] = field(
        default_factory=lambda: [ThreadStatus.WAITING_ON_CUSTOMER, ThreadStatus.ON_HOLD]
    )
    page_24_7: bool = False
    description: str = ""
    # (after due, raise priority to) per escalation level, in order.
    escalations: list[tuple[str, str]] = field(default_factory=lambda: [("1h", "high")])
    # (events, to_assignee, to_team, to_managers) per notification rule.
    rules: list[tuple[list[str], bool, bool, bool]] = field(
        default_factory=lambda: [
            (["warning"], True, False, False),
            (["breaching"], True, True, False),
            (["escalated"], False, False, True),
        ]
    )

    def targets_text(self) -> str:
        """“First response 1h, Next response 2h” for the template list."""
        return ", ".join(
            f"{Metric(m).label}{f' ({Priority(p).label})' if p else ''} {d}"
            for m, p, d in self.targets
        )


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    summary: str
    policies: list[PolicySpec]
    tiers: list[str] = field(default_factory=list)  # tiers the template needs, created if missing
    wants_business_hours: bool = True


TEMPLATES = {
    t.key: t
    for t in [
        Template(
            key="b2b-tiers",
            name="B2B tiers",
            summary="Enterprise, Standard and Free customers each get their own first response, "
            "next response and resolution targets in business hours.",
            tiers=["Enterprise", "Standard", "Free"],
            policies=[
                PolicySpec(
                    name="Enterprise",
                    tiers=["Enterprise"],
                    targets=[(FRT, "", "1h"), (NRT, "", "2h"), (RT, "", "24h")],
                    thresholds=[("percent_used", 50), ("percent_used", 75), ("percent_used", 90)],
                ),
                PolicySpec(
                    name="Standard",
                    tiers=["Standard"],
                    targets=[(FRT, "", "4h"), (NRT, "", "8h"), (RT, "", "40h")],
                ),
                PolicySpec(
                    name="Free",
                    tiers=["Free"],
                    targets=[(FRT, "", "16h"), (NRT, "", "24h"), (RT, "", "80h")],
                ),
            ],
        ),
        Template(
            key="priority-based",
            name="Priority-based",
            summary="One policy for everyone; the first response target follows the thread's "
            "priority: Urgent 1h, High 4h, Normal 8h, Low 24h.",
            policies=[
                PolicySpec(
                    name="By priority",
                    targets=[
                        (FRT, Priority.URGENT, "1h"),
                        (FRT, Priority.HIGH, "4h"),
                        (FRT, Priority.NORMAL, "8h"),
                        (FRT, Priority.LOW, "24h"),
                    ],
                    thresholds=[("percent_used", 75)],
                )
            ],
        ),
        Template(
            key="on-call-24-7",
            name="24/7 on-call",
            summary="Urgent threads are answered around the clock and page the on-call agent at "
            "any hour; resolution within 4 hours.",
            wants_business_hours=False,
            policies=[
                PolicySpec(
                    name="Urgent on-call (24/7)",
                    priorities=[Priority.URGENT],
                    targets=[(FRT, "", "15m"), (NRT, "", "30m"), (RT, "", "4h")],
                    thresholds=[("percent_used", 50), ("minutes_before", 5)],
                    pause_statuses=[ThreadStatus.WAITING_ON_CUSTOMER],
                    page_24_7=True,
                    escalations=[("15m", ""), ("1h", "")],
                )
            ],
        ),
    ]
}
