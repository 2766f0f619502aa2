"""Routes under /internal/v1/generation/."""

from django.urls import path

from generation_app.api import views

urlpatterns = [
    path("claim", views.ClaimView.as_view(), name="claim"),
    path("<uuid:job_id>/heartbeat", views.HeartbeatView.as_view(), name="heartbeat"),
    path("<uuid:job_id>/uploads", views.UploadsView.as_view(), name="uploads"),
    path("<uuid:job_id>/complete", views.CompleteView.as_view(), name="complete"),
    path("<uuid:job_id>/fail", views.FailView.as_view(), name="fail"),
    path("jobs", views.JobListView.as_view(), name="jobs"),
    path("jobs/<uuid:job_id>", views.JobDetailView.as_view(), name="job"),
]
