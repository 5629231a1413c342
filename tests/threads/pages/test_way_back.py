"""The thread page's back link goes back to where the agent came from, named for it: the inbox
(with its filters), a search in it, the breach queue; it survives the page's own forms; and no
crafted `back` can send anyone to another site or page (only those lists are taken)."""

import html as html_lib
import re
from urllib.parse import quote

import pytest

from tests.threads.pages.helpers import berlin, get, html, open_thread, post

pytestmark = [pytest.mark.django_db]

NOW = berlin(23, 10, 20)


def back_link(page: str) -> tuple[str, str]:
    found = re.search(r'<a href="([^"]*)" class="muted" id="way-back">← ([^<]*)</a>', page)
    return html_lib.unescape(found.group(1)), found.group(2)


def thread_links(page: str, thread_id: int) -> list[str]:
    return [
        html_lib.unescape(h)
        for h in re.findall(rf'href="(/threads/{thread_id}/\?back=[^"]*)"', page)
    ]


@pytest.fixture
def thread(setup):
    return open_thread(berlin(23, 10), "Printer on fire")


def test_from_the_inbox_the_link_goes_back_to_the_inbox_as_it_was(setup, agent_client, thread):
    inbox = html(get(agent_client, NOW, "/inbox/", sort="subject", priority="normal"))
    [link] = thread_links(inbox, thread.pk)
    page = html(get(agent_client, NOW, link))
    assert back_link(page) == ("/inbox/?sort=subject&priority=normal", "Inbox")
    assert "Breach queue" not in page


def test_from_a_search_the_link_says_search_results(setup, agent_client, thread):
    inbox = html(get(agent_client, NOW, "/inbox/", q="printer"))
    [link] = thread_links(inbox, thread.pk)
    assert back_link(html(get(agent_client, NOW, link))) == ("/inbox/?q=printer", "Search results")


def test_from_the_queue_the_link_says_breach_queue(setup, agent_client, thread):
    queue = html(get(agent_client, NOW, "/queue/"))
    link = thread_links(queue, thread.pk)[0]
    assert back_link(html(get(agent_client, NOW, link))) == ("/queue/", "Breach queue")


def test_the_way_back_survives_the_pages_own_forms(setup, agent_client, thread):
    get(agent_client, NOW, f"/threads/{thread.pk}/", back="/inbox/?q=printer")
    post(agent_client, NOW, f"/threads/{thread.pk}/messages/", {"body": "On it", "kind": "note"})
    page = html(get(agent_client, NOW, f"/threads/{thread.pk}/"))
    assert back_link(page) == ("/inbox/?q=printer", "Search results")


@pytest.mark.parametrize(
    "crafted",
    [
        "https://evil.example/inbox/",
        "//evil.example/inbox/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/admin/",
        "/threads/1/",
        "/logout/",
        "inbox/",
    ],
)
def test_a_crafted_back_never_leads_off_the_agents_lists(setup, agent_client, thread, crafted):
    page = html(get(agent_client, NOW, f"/threads/{thread.pk}/?back={quote(crafted, safe='')}"))
    assert back_link(page) == ("/inbox/", "Inbox")
    assert "evil" not in page and "javascript:" not in page


def test_without_a_way_back_the_link_goes_to_the_inbox(setup, agent_client, thread):
    assert back_link(html(get(agent_client, NOW, f"/threads/{thread.pk}/"))) == ("/inbox/", "Inbox")
