"""Routes under /files/upload/: the local signed upload links."""

from django.urls import path

from generation_app.api.upload_view import receive_upload

urlpatterns = [
    path("<path:blob_name>", receive_upload, name="upload"),
]
