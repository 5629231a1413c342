"""Routes of the REST API under /api/v1/ (views in threads/api/)."""

from rest_framework.routers import APIRootView, DefaultRouter

from integrations.permissions import READ
from objectives.api import ObjectiveViewSet
from threads.api.accounts import AccountViewSet, ContactViewSet
from threads.api.clocks import BreachReasonViewSet, ClockViewSet
from threads.api.teams import TeamViewSet
from threads.api.views import ThreadMessageViewSet, ThreadViewSet


class ApiRoot(APIRootView):
    """The list of endpoints: for anyone with a role, and for integration keys."""

    integration_access = READ


class Router(DefaultRouter):
    APIRootView = ApiRoot


# Namespaced: the router's names (thread-message, thread-no-reply-needed) are also the names of
# the agents' pages, and an unnamespaced duplicate made {% url %} on the thread page point its
# "No reply needed" form at the API.
app_name = "api"
router = Router()
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("teams", TeamViewSet, basename="team")
router.register("threads", ThreadViewSet, basename="thread")
router.register(
    r"threads/(?P<thread_id>[0-9]+)/messages", ThreadMessageViewSet, basename="thread-message"
)
router.register(r"threads/(?P<thread_id>[0-9]+)/clocks", ClockViewSet, basename="thread-clock")
router.register("objectives", ObjectiveViewSet, basename="objective")
router.register("breach-reasons", BreachReasonViewSet, basename="breach-reason")
urlpatterns = router.urls
