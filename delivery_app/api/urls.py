"""URL routes of this app's API."""

urlpatterns: list = []
