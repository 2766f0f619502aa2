"""Routes under /files/: the local signed links this service checks and serves."""

from django.urls import path

from delivery_app.files import serve_signed_file

urlpatterns = [
    path("<path:blob_name>", serve_signed_file, name="signed-file"),
]
