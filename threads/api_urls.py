"""Routes of the REST API under /api/v1/ (views in threads/api.py)."""

from rest_framework.routers import DefaultRouter

from threads.api import AccountViewSet, ContactViewSet, ThreadMessageViewSet, ThreadViewSet

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("threads", ThreadViewSet, basename="thread")
router.register(
    r"threads/(?P<thread_id>[0-9]+)/messages", ThreadMessageViewSet, basename="thread-message"
)
urlpatterns = router.urls
