"""Routes under /internal/v1/privacy/."""

from django.urls import path

from vividly.privacy.api import views

urlpatterns = [
    path("users/<str:username>/export", views.UserExportView.as_view(), name="user-export"),
    path("users/<str:username>", views.UserErasureView.as_view(), name="user-erase"),
    path("access-log", views.AccessLogView.as_view(), name="access-log"),
]
