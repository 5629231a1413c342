"""Routes of the REST API under /api/v1/ (views in threads/api/)."""

from rest_framework.routers import DefaultRouter

from threads.api.accounts import AccountViewSet, ContactViewSet
from threads.api.views import ThreadMessageViewSet, ThreadViewSet

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("threads", ThreadViewSet, basename="thread")
router.register(
    r"threads/(?P<thread_id>[0-9]+)/messages", ThreadMessageViewSet, basename="thread-message"
)
urlpatterns = router.urls
