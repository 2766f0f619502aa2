"""Routes under /api/v1/content/."""

from django.urls import path

from delivery_app.api import views
from delivery_app.api.playback import PlaybackView

urlpatterns = [
    path("requests", views.RequestsView.as_view(), name="requests"),
    path("requests/<uuid:request_id>", views.RequestView.as_view(), name="request"),
    path("urls/batch", views.BatchUrlsView.as_view(), name="urls-batch"),
    path("<str:cache_key>/url", views.UrlView.as_view(), name="url"),
    path("<str:cache_key>/playback", PlaybackView.as_view(), name="playback"),
    path("<str:cache_key>/view", views.ViewStartView.as_view(), name="view"),
    path("<str:cache_key>/progress", views.ProgressView.as_view(), name="progress"),
    path("<str:cache_key>/complete", views.CompleteView.as_view(), name="complete"),
    path("<str:cache_key>/analytics", views.AnalyticsView.as_view(), name="analytics"),
]
