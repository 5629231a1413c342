"""The Slack app's change page has "Send a test message" as a button, not only as a list action:
it checks the saved bot token with Slack and says how it went on the page."""

import pytest

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def root_client(django_user_model):
    from django.test import Client

    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))
    return client


def test_the_change_page_sends_a_test_message_with_its_button(workspace, slack, root_client):
    page = f"/admin/slackapp/slackapp/{workspace.pk}/change/"
    html = root_client.get(page).content.decode()
    action = f"/admin/slackapp/slackapp/{workspace.pk}/test/"
    assert f'action="{action}"' in html and "Send a test message</button>" in html
    response = root_client.post(action, follow=True)
    assert response.redirect_chain[-1][0] == page
    assert "The bot token works" in response.content.decode()
    assert len(slack.to("auth.test")) == 1


def test_the_button_only_sends_on_post_and_only_for_those_who_may_change_the_app(
    workspace, slack, root_client, manager_client
):
    action = f"/admin/slackapp/slackapp/{workspace.pk}/test/"
    assert root_client.get(action).status_code == 405
    assert manager_client.post(action).status_code == 403
    assert not slack.to("auth.test")
