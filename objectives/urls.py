"""Routes of the objectives pages (views in objectives/views.py)."""

from django.urls import path

from objectives import views

urlpatterns = [
    path("objectives/", views.objective_list, name="objectives"),
    path("objectives/<int:pk>/", views.objective_detail, name="objective"),
    path("breaches/unexplained/", views.unexplained_breaches, name="breaches-unexplained"),
]
