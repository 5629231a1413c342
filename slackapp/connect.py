"""Slack Connect: whose event, whose author. In a channel shared between organisations the outer
`team_id` of an event names the channel's host, which may be the customer; only
`authorizations[].team_id` (and `context_team_id`) name the workspace the event was delivered to.
A message's author belongs to the organisation its `user_team` (or `source_team`, `team`, a
bot's `bot_profile.team_id`) names: that, not an e-mail address, says customer or agent."""

from slackapp.models import SlackApp


def delivered_to(app: SlackApp, payload: dict) -> bool:
    """The event was delivered for this app's workspace (an installation of ours); for an
    org-wide install, for its Enterprise Grid org."""
    authorizations = payload.get("authorizations")
    authorizations = (
        [a for a in authorizations if isinstance(a, dict)]
        if isinstance(authorizations, list)
        else []
    )
    if app.is_enterprise_install:
        orgs = [payload.get("enterprise_id")] + [a.get("enterprise_id") for a in authorizations]
        return bool(app.enterprise_id) and app.enterprise_id in orgs
    named = [payload.get("team_id"), payload.get("context_team_id")]
    named += [a.get("team_id") for a in authorizations]
    return bool(app.team_id) and app.team_id in {team for team in named if isinstance(team, str)}


def our_teams(app: SlackApp) -> set[str]:
    """The organisation that is us: the installed workspace; for an org-wide install, the
    Enterprise Grid org and every workspace in it (slackapp/installs.learn_org_teams)."""
    if app.is_enterprise_install:
        return {app.enterprise_id, *app.org_team_ids} - {""}
    return {app.team_id} - {""}


def author_teams(body: dict) -> set[str]:
    """The workspaces a message names for its author. A bot carries its own team
    (`bot_profile.team_id`), the message its author's (`user_team`, `source_team`, `team`)."""
    profile = body.get("bot_profile")
    named = [
        profile.get("team_id") if isinstance(profile, dict) else None,
        body.get("user_team"),
        body.get("source_team"),
        body.get("team"),
    ]
    return {team for team in named if isinstance(team, str) and team}


def is_bot(body: dict) -> bool:
    """An app's post, a legacy integration's, or a Workflow's (Workflow Builder posts as a bot)."""
    return bool(body.get("bot_id")) or body.get("subtype") == "bot_message"


def customers_bot(app: SlackApp, body: dict, *, shared: bool) -> bool:
    """A bot is ours only when every team the message names is our workspace: a customer
    organisation's bot in a shared channel must not read as our "System". A bot naming no team
    is ours in a channel only our workspace is in, the customer's in an externally shared one."""
    teams = author_teams(body)
    if teams:
        return not teams <= our_teams(app)
    return shared


def from_another_organisation(app: SlackApp, body: dict, person_team: str = "") -> bool:
    """A person's message written by a member of another organisation than ours: the message
    names their team (`user_team` first), else users.info told us (`person_team`)."""
    ours = our_teams(app)
    for key in ("user_team", "source_team", "team"):
        team = body.get(key)
        if isinstance(team, str) and team:
            return team not in ours
    return bool(person_team) and person_team not in ours
