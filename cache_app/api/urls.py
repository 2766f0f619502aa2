"""Routes under /internal/v1/cache/."""

from django.urls import path

from cache_app.api import views

urlpatterns = [
    path("check", views.CheckView.as_view(), name="check"),
    path("store", views.StoreView.as_view(), name="store"),
    path("stats", views.StatsView.as_view(), name="stats"),
    path("stats/reset", views.StatsResetView.as_view(), name="stats-reset"),
    path("invalidate", views.InvalidateView.as_view(), name="invalidate"),
]
