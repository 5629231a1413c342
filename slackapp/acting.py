"""Who clicked a button or typed /sla. Slack's signature proves that Slack sent the request, not
that the person may do anything in SLA Ops: the Slack user is mapped to an agent (linked by hand,
or found by e-mail through users.info as slackapp/people.py does for messages) and that agent's
role and team scope decide, as on the thread pages.

Call `agent_for` outside any database transaction: it may ask Slack (users.info), once per
person (slackapp/people.py keeps the answer)."""

from django.contrib.auth import get_user_model

from accounts.roles import AGENTS, MANAGERS
from slackapp import connect, people
from slackapp.models import SlackApp, SlackUser
from threads.models import Thread
from threads.selectors import visible_threads


def agent_for(app: SlackApp, user_id: str, user_team: str = ""):
    """The active agent (or manager) this Slack user is, else None. A member of another
    organisation (Slack Connect) is never one, whatever their e-mail address says."""
    people.prepare(app, [user_id])  # users.info when not known yet: unlocked, outside transactions
    person = SlackUser.objects.filter(app=app, slack_user_id=user_id).first()
    if person is None or person.agent_id is None:
        return None
    said = {"user_team": user_team} if user_team else {}
    if connect.from_another_organisation(app, said, person.team_id):
        return None
    agent = get_user_model().objects.filter(pk=person.agent_id, is_active=True).first()
    if agent is None:
        return None  # deactivated since they were linked
    if not agent.is_superuser and not agent.groups.filter(name__in=[AGENTS, MANAGERS]).exists():
        return None  # no longer in a role that works threads
    return agent


def workable_thread(agent, thread_id: int) -> Thread | None:
    """The thread if this agent may change it (the pages' permission and team scope), else
    None: another team's thread reads as if it did not exist."""
    if not agent.has_perm("threads.change_thread"):
        return None
    threads = visible_threads(Thread.objects.all(), user=agent)
    return threads.filter(pk=thread_id).first()
