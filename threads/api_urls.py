"""Routes of the REST API under /api/v1/ (filled by threads/api.py)."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()
urlpatterns = router.urls
