"""Routes under /files/: the local signed links this service checks and serves."""

from django.urls import path

from delivery_app.files import serve_signed_file
from delivery_app.playback_files import serve_folder_file

urlpatterns = [
    path("p/<str:token>/<path:blob_name>", serve_folder_file, name="playback-file"),
    path("<path:blob_name>", serve_signed_file, name="signed-file"),
]
