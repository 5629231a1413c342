"""The thread page's way back: to the list the agent opened it from (the inbox, a search in it,
the breach queue, the notifications), named for it, instead of always "Breach queue".

The list's address travels in `?back=` on the links the lists make (`link_to_thread`). Only
those pages are taken, and the address is rebuilt from the page's route and its query string, so
a crafted link cannot send anyone elsewhere (no open redirect). It is kept in the session for
that thread, so the link survives the page's own forms (each POST comes back to the thread)."""

from urllib.parse import urlencode, urlsplit

from django.http import QueryDict
from django.urls import Resolver404, resolve, reverse

PAGES = {"inbox": "Inbox", "queue": "Breach queue", "notifications": "Notifications"}
SESSION_KEY = "thread_back"
LONGEST = 2000


def link_to_thread(thread_id: int, page: str, query: str = "") -> str:
    """The thread's address with the way back to `page` (a name in PAGES) and its query."""
    back = reverse(page) + (f"?{query}" if query else "")
    return f"{reverse('thread', args=[thread_id])}?{urlencode({'back': back})}"


def checked(raw) -> str:
    """The list address rebuilt from an allowed page's route and query; "" for anything else."""
    if not isinstance(raw, str) or not raw.startswith("/") or len(raw) > LONGEST:
        return ""
    if raw.startswith("//") or "\\" in raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return ""
    try:
        match = resolve(parts.path)
    except Resolver404:
        return ""
    if match.namespace or match.url_name not in PAGES:
        return ""
    query = QueryDict(parts.query).urlencode()
    return reverse(match.url_name) + (f"?{query}" if query else "")


def way_back(request, thread_id: int) -> dict:
    """{"url", "label"} of the thread page's back link for this request."""
    url = checked(request.GET.get("back"))
    if url:
        request.session[SESSION_KEY] = [thread_id, url]
    else:
        kept = request.session.get(SESSION_KEY)
        if isinstance(kept, list) and len(kept) == 2 and kept[0] == thread_id:
            url = checked(kept[1])
    url = url or reverse("inbox")
    name = resolve(urlsplit(url).path).url_name
    searched = name == "inbox" and QueryDict(urlsplit(url).query).get("q", "").strip()
    return {"url": url, "label": "Search results" if searched else PAGES[name]}
