"""Routes of /api/v1/classrooms (mounted at /api/v1/: the list has no trailing slash)."""

from django.urls import path

from delivery_app.api import classrooms

urlpatterns = [
    path("classrooms", classrooms.ClassroomsView.as_view(), name="classrooms"),
    path(
        "classrooms/<int:classroom_id>/progress", classrooms.ClassroomProgressView.as_view(), name="classroom-progress"
    ),
]
