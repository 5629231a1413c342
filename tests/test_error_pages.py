"""When a page cannot be shown, people read what happened and how to go on, on a page that
looks like the rest of SLA Ops; integrators under /api/ keep getting JSON."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def test_a_404_page_is_styled_and_says_what_to_do(manager_client):
    response = manager_client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'data-status="404"' in body and "We could not find that page" in body
    assert "Check the address" in body and 'href="/"' in body  # a way back
    assert "slaops/app.css" in body and "slaops/favicon.svg" in body  # the agents' look


def test_a_404_for_someone_signed_out_offers_to_sign_in(client):
    body = client.get("/reports/nothing-here/").content.decode()
    assert "We could not find that page" in body and 'href="/login/"' in body


def test_a_403_page_says_why_and_whom_to_ask(client, agent):
    client.force_login(agent)
    response = client.get("/reports/")
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-status="403"' in body and "Reports are for managers." in body
    assert "ask a manager" in body and 'href="/"' in body


def test_a_500_page_renders_without_a_request_or_the_database():
    body = render_to_string("500.html")  # Django's server_error gives it no context at all
    assert "Something went wrong on our side" in body and 'href="/"' in body
    assert "slaops/app.css" in body


def test_a_server_error_shows_the_styled_page():
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/threads/1/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/no-such-endpoint/", "/api/nothing"])
def test_an_api_404_stays_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "We could not find that page" not in response.content.decode()
    assert response.json()  # a body an integrator's client can parse


def test_every_admin_page_links_the_favicon(manager_client):
    for url in ("/admin/", "/admin/login/", "/admin/policies/"):
        body = manager_client.get(url, follow=True).content.decode()
        assert 'rel="icon" href="/static/slaops/favicon.svg"' in body, url


def test_the_favicon_is_served(client):
    from django.contrib.staticfiles import finders

    assert finders.find("slaops/favicon.svg")


def test_the_agents_pages_follow_the_systems_dark_setting(client):
    body = client.get("/login/").content.decode()
    assert 'href="/static/slaops/dark.css" media="(prefers-color-scheme: dark)"' in body
