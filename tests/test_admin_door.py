"""An agent who opens /admin/ meets a page in the product's layout that says who the admin is
for and the way back, not Django's bare "You are authenticated as alex, but are not authorized"
login form; people signed out still get the admin's login, managers the admin."""

import pytest

pytestmark = [pytest.mark.django_db]


def test_an_agent_opening_the_admin_is_told_who_it_is_for_in_the_products_layout(client, agent):
    client.force_login(agent)
    response = client.get("/admin/", follow=True)
    html = response.content.decode()
    assert response.status_code == 403
    assert "The admin is for managers and the operator" in html
    assert "not authorized" not in html and "Django" not in html
    assert 'href="/inbox/"' in html  # the product's own navigation, with the way back
    assert "Sign in as someone else" in html


def test_a_deep_admin_link_leads_an_agent_to_the_same_page(client, agent):
    client.force_login(agent)
    response = client.get("/admin/policies/slapolicy/", follow=True)
    assert response.status_code == 403
    assert "The admin is for managers" in response.content.decode()


def test_signed_out_people_still_get_the_admin_login_and_managers_the_admin(client, manager):
    response = client.get("/admin/", follow=True)
    assert response.status_code == 200 and 'name="password"' in response.content.decode()
    client.force_login(manager)
    assert client.get("/admin/").status_code == 200
