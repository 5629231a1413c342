"""Every way a manager tried to become more than a manager, replayed against the admin and refused;
and what managers and superusers are there to do, still working."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django_q.models import Schedule

from accounts.models import AgentProfile, Team
from accounts.roles import SUPERUSER_ONLY_APPS
from tests.policies.test_admin_teams import team_post

pytestmark = pytest.mark.django_db


def change_url(user):
    return reverse("admin:auth_user_change", args=[user.pk])


def password_url(user):
    return reverse("admin:auth_user_password_change", args=[user.pk])


def user_post(user, **fields):
    """What the admin's change form sends for `user`, with `fields` added or replaced."""
    profile = AgentProfile.objects.filter(user=user).first()
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [g.pk for g in user.groups.all()],
        # Read-only but for superusers; sent anyway, as a browser showing every field would.
        "date_joined_0": user.date_joined.date().isoformat(),
        "date_joined_1": user.date_joined.time().strftime("%H:%M:%S"),
        "agent_profile-TOTAL_FORMS": "1" if profile else "0",
        "agent_profile-INITIAL_FORMS": "1" if profile else "0",
        "agent_profile-MIN_NUM_FORMS": "0",
        "agent_profile-MAX_NUM_FORMS": "1",
        "_save": "Save",
    }
    if profile:
        data |= {
            "agent_profile-0-id": profile.pk,
            "agent_profile-0-user": user.pk,
            "agent_profile-0-time_zone": profile.time_zone,
        }
    data.update(fields)
    return data


def escalation(**extra):
    """The POST fields of the attack: superuser, staff, the Managers role, a single permission."""
    return {
        "is_superuser": "on",
        "is_staff": "on",
        "user_permissions": [Permission.objects.get(codename="add_schedule").pk],
        **extra,
    }


def managers():
    return Group.objects.get(name="Managers")


def agents():
    return Group.objects.get(name="Agents")


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw-root")


@pytest.fixture
def other_manager(django_user_model):
    user = django_user_model.objects.create_user("mo", "mo@example.com", "pw-mo", is_staff=True)
    user.groups.add(managers())
    return user


# Refused: a manager making themselves or anyone more than they are.


def test_a_manager_cannot_make_themselves_superuser(manager_client, manager):
    manager_client.post(
        change_url(manager), user_post(manager, **escalation(groups=[managers().pk]))
    )
    manager.refresh_from_db()
    assert not manager.is_superuser
    assert not manager.user_permissions.exists()
    assert not manager.has_perm("django_q.add_schedule")


def test_a_manager_cannot_give_themselves_a_single_permission(manager_client, manager):
    add_schedule = Permission.objects.get(codename="add_schedule")
    manager_client.post(change_url(manager), user_post(manager, user_permissions=[add_schedule.pk]))
    assert not manager.user_permissions.exists()


def test_a_manager_cannot_take_the_managers_role_off_or_change_their_own_status(
    manager_client, manager
):
    manager_client.post(change_url(manager), user_post(manager, groups=[agents().pk], is_active=""))
    manager.refresh_from_db()
    assert list(manager.groups.values_list("name", flat=True)) == ["Managers"]
    assert manager.is_active and manager.is_staff


def test_a_manager_cannot_make_an_agent_superuser_or_staff(manager_client, agent):
    response = manager_client.post(change_url(agent), user_post(agent, **escalation()))
    assert response.status_code == 302  # the rest of the form saved; the flags were not in it
    agent.refresh_from_db()
    assert not agent.is_superuser and not agent.is_staff
    assert not agent.user_permissions.exists()


def test_a_manager_cannot_make_an_agent_a_manager(manager_client, agent):
    response = manager_client.post(change_url(agent), user_post(agent, groups=[managers().pk]))
    assert response.status_code == 200  # the form again, with the error
    assert "Select a valid choice" in response.content.decode()
    assert not agent.groups.filter(name="Managers").exists()


def test_the_user_form_refuses_roles_its_editor_may_not_grant(manager, agent, rf):
    from accounts.admin import UserAdmin

    request = rf.post("/")
    request.user = manager
    model_admin = UserAdmin(type(agent), admin.site)
    form_class = model_admin.get_form(request, agent, change=True)
    form = form_class(user_post(agent), instance=agent)
    form.fields["groups"].queryset = Group.objects.all()  # as if the choices had been widened
    form.data = {**form.data, "groups": [managers().pk]}
    assert not form.is_valid()
    assert "Only a superuser may give the role Managers" in str(form.errors["groups"])


def test_a_manager_only_sees_the_agents_role_offered(manager_client, agent):
    response = manager_client.get(change_url(agent))
    form = response.context["adminform"].form
    assert list(form.fields["groups"].queryset) == [agents()]
    assert {"is_superuser", "is_staff", "user_permissions"}.isdisjoint(form.fields)
    page = response.content.decode()
    assert 'name="is_superuser"' not in page and 'name="is_staff"' not in page
    assert 'name="user_permissions"' not in page


def test_a_manager_cannot_edit_a_superuser(manager_client, superuser):
    response = manager_client.post(
        change_url(superuser), user_post(superuser, email="attacker@example.com")
    )
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.email == "root@example.com"


def test_a_manager_may_view_a_superuser_but_not_their_password_hash(manager_client, superuser):
    response = manager_client.get(change_url(superuser))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="_save"' not in page  # view only
    assert superuser.password not in page
    assert superuser.password.split("$")[-1] not in page


def test_a_manager_cannot_set_a_superusers_password(manager_client, superuser):
    data = {"password1": "taken-over-9", "password2": "taken-over-9", "usable_password": "true"}
    assert manager_client.get(password_url(superuser)).status_code == 403
    assert manager_client.post(password_url(superuser), data).status_code == 403
    superuser.refresh_from_db()
    assert superuser.check_password("pw-root")


def test_a_manager_cannot_edit_another_manager(manager_client, other_manager):
    response = manager_client.post(
        change_url(other_manager), user_post(other_manager, groups=[agents().pk])
    )
    assert response.status_code == 403
    assert manager_client.get(password_url(other_manager)).status_code == 403
    assert other_manager.groups.filter(name="Managers").exists()


def test_a_manager_cannot_reset_their_own_password_without_the_old_one(manager_client, manager):
    data = {"password1": "new-pass-77x", "password2": "new-pass-77x", "usable_password": "true"}
    assert manager_client.post(password_url(manager), data).status_code == 403
    manager.refresh_from_db()
    assert manager.check_password("pw-maria")


def test_a_manager_cannot_edit_an_agent_a_superuser_gave_more(
    manager_client, agent, django_user_model
):
    """Resetting the password of someone holding more than a manager would be a way up."""
    agent.user_permissions.add(Permission.objects.get(codename="view_schedule"))
    response = manager_client.post(password_url(agent), {"password1": "x", "password2": "x"})
    assert response.status_code == 403
    assert manager_client.post(change_url(agent), user_post(agent)).status_code == 403


def test_a_manager_who_creates_a_user_creates_no_staff_and_no_superuser(manager_client):
    response = manager_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": "a-long-pass-42",
            "password2": "a-long-pass-42",
            **escalation(groups=[managers().pk]),
            "agent_profile-TOTAL_FORMS": "0",
            "agent_profile-INITIAL_FORMS": "0",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    from django.contrib.auth import get_user_model

    newbie = get_user_model().objects.get(username="newbie")
    assert not newbie.is_staff and not newbie.is_superuser
    assert not newbie.groups.exists() and not newbie.user_permissions.exists()


def test_a_manager_cannot_change_what_a_role_may_do(manager_client):
    group = agents()
    url = reverse("admin:auth_group_change", args=[group.pk])
    everything = list(Permission.objects.values_list("pk", flat=True))
    assert manager_client.post(url, {"name": "Agents", "permissions": everything}).status_code == (
        403
    )
    assert manager_client.get(reverse("admin:auth_group_add")).status_code == 403
    assert group.permissions.count() < len(everything)


@pytest.mark.parametrize("page", ["changelist", "add"])
def test_a_manager_cannot_open_the_schedules(manager_client, page):
    assert manager_client.get(reverse(f"admin:django_q_schedule_{page}")).status_code == 403


def test_a_manager_cannot_schedule_a_command_even_holding_add_schedule(manager_client, manager):
    # The path the review took: add_schedule first (as a single permission), then the schedule.
    manager.user_permissions.add(Permission.objects.get(codename="add_schedule"))
    response = manager_client.post(
        reverse("admin:django_q_schedule_add"),
        {"name": "pwn", "func": "os.system", "args": "'id'", "schedule_type": "O", "repeats": "-1"},
    )
    assert response.status_code == 403
    assert not Schedule.objects.filter(func="os.system").exists()


def test_a_manager_cannot_open_or_change_an_existing_schedule(manager_client):
    schedule = Schedule.objects.create(name="sla-evaluate", func="threads.tasks.evaluate")
    url = reverse("admin:django_q_schedule_change", args=[schedule.pk])
    assert manager_client.get(url).status_code == 403
    assert manager_client.post(url, {"func": "os.system"}).status_code == 403
    schedule.refresh_from_db()
    assert schedule.func == "threads.tasks.evaluate"


# The queue page exists only with the ORM broker (django-q registers it then; CI uses Redis).
TASK_PAGES = [
    m._meta.model_name
    for m in admin.site._registry
    if m._meta.app_label == "django_q" and m._meta.model_name != "schedule"
]


@pytest.mark.parametrize("model", TASK_PAGES)
def test_a_manager_cannot_see_tasks_or_the_queue(manager_client, model):
    assert manager_client.get(reverse(f"admin:django_q_{model}_changelist")).status_code == 403


def test_a_manager_sees_no_token_key_or_machinery_page(manager_client):
    hidden = [m for m in admin.site._registry if m._meta.app_label in SUPERUSER_ONLY_APPS]
    assert hidden  # django_q's at least
    for model in hidden:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert manager_client.get(url).status_code == 403, url
    index = manager_client.get(reverse("admin:index")).content.decode()
    for model in hidden:
        assert f"/admin/{model._meta.app_label}/" not in index


def test_an_agent_with_staff_status_still_cannot_edit_people(client, agent, other_agent):
    agent.is_staff = True
    agent.save()
    client.force_login(agent)
    assert client.get(change_url(other_agent)).status_code == 403


# Still working: what managers are for.


def test_a_manager_creates_an_agent_and_gives_them_the_agents_role(manager_client):
    from django.contrib.auth import get_user_model

    manager_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newagent",
            "usable_password": "true",
            "password1": "a-long-pass-42",
            "password2": "a-long-pass-42",
            "agent_profile-TOTAL_FORMS": "0",
            "agent_profile-INITIAL_FORMS": "0",
            "_save": "Save",
        },
    )
    newagent = get_user_model().objects.get(username="newagent")
    response = manager_client.post(
        change_url(newagent),
        user_post(
            newagent,
            first_name="Nora",
            email="nora@example.com",
            groups=[agents().pk],
            **{
                "agent_profile-TOTAL_FORMS": "1",
                "agent_profile-0-time_zone": "America/New_York",
            },
        ),
    )
    assert response.status_code == 302
    newagent.refresh_from_db()
    assert newagent.first_name == "Nora" and newagent.email == "nora@example.com"
    assert list(newagent.groups.values_list("name", flat=True)) == ["Agents"]
    assert newagent.agent_profile.time_zone == "America/New_York"
    assert newagent.check_password("a-long-pass-42")


def test_a_manager_puts_an_agent_in_a_team(manager_client, agent):
    team = Team.objects.create(name="Billing")
    response = manager_client.post(
        reverse("admin:accounts_team_change", args=[team.pk]),
        team_post("Billing", members=[agent.pk]),
    )
    assert response.status_code == 302
    assert list(team.members.all()) == [agent]


def test_a_manager_changes_an_agents_zone_and_deactivates_them(manager_client, agent):
    AgentProfile.objects.create(user=agent, time_zone="UTC")
    response = manager_client.post(
        change_url(agent),
        user_post(agent, is_active="", **{"agent_profile-0-time_zone": "Asia/Tokyo"}),
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert not agent.is_active
    assert agent.agent_profile.time_zone == "Asia/Tokyo"


def test_a_manager_takes_an_agent_out_of_the_agents_role(manager_client, agent):
    manager_client.post(change_url(agent), user_post(agent, groups=[]))
    assert not agent.groups.exists()


def test_a_manager_resets_an_agents_password(manager_client, agent):
    response = manager_client.post(
        password_url(agent),
        {"password1": "fresh-start-91", "password2": "fresh-start-91", "usable_password": "true"},
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password("fresh-start-91")


def test_a_manager_changes_their_own_name_and_zone(manager_client, manager):
    AgentProfile.objects.create(user=manager, time_zone="UTC")
    response = manager_client.post(
        change_url(manager),
        user_post(manager, last_name="Garcia", **{"agent_profile-0-time_zone": "Europe/Madrid"}),
    )
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.last_name == "Garcia"
    assert manager.agent_profile.time_zone == "Europe/Madrid"


# Superusers: everything about people, and the task pages to read only.


def test_a_superuser_makes_a_manager_with_staff_and_a_single_permission(client, superuser, agent):
    client.force_login(superuser)
    view_schedule = Permission.objects.get(codename="view_schedule")
    response = client.post(
        change_url(agent),
        user_post(
            agent, is_staff="on", groups=[managers().pk], user_permissions=[view_schedule.pk]
        ),
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.is_staff
    assert agent.groups.filter(name="Managers").exists()
    assert agent.has_perm("django_q.view_schedule")


def test_a_superuser_makes_another_superuser(client, superuser, manager):
    client.force_login(superuser)
    client.post(change_url(manager), user_post(manager, is_staff="on", is_superuser="on"))
    manager.refresh_from_db()
    assert manager.is_superuser


def test_a_superuser_reads_the_schedules_but_cannot_write_them(client, superuser):
    schedule = Schedule.objects.create(name="sla-evaluate", func="threads.tasks.evaluate")
    client.force_login(superuser)
    url = reverse("admin:django_q_schedule_change", args=[schedule.pk])
    assert client.get(reverse("admin:django_q_schedule_changelist")).status_code == 200
    page = client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(url, {"name": "x", "func": "os.system"}).status_code == 403
    assert client.get(reverse("admin:django_q_schedule_add")).status_code == 403
    delete = reverse("admin:django_q_schedule_delete", args=[schedule.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    schedule.refresh_from_db()
    assert schedule.func == "threads.tasks.evaluate"


def test_a_superuser_cannot_resubmit_tasks_from_the_admin(client, superuser):
    client.force_login(superuser)
    page = client.get(reverse("admin:django_q_failure_changelist")).content.decode()
    assert "resubmit" not in page.lower()


def test_a_superuser_given_no_flag_but_a_django_q_permission_sees_no_schedule(client, agent):
    """Only superusers see the task pages: a single permission is not enough."""
    agent.is_staff = True
    agent.save()
    agent.user_permissions.add(Permission.objects.get(codename="view_schedule"))
    client.force_login(agent)
    assert client.get(reverse("admin:django_q_schedule_changelist")).status_code == 403
