"""django-storages' GoogleCloudStorage with every network call bounded in time.

Out of the box each call may retry for up to 120 s (google-cloud-storage's
DEFAULT_RETRY) with a 60 s socket timeout: a GCS outage would hold a web worker for two
minutes instead of answering 503. Reads also fetch the blob's metadata before its bytes;
here a read is one request.
"""

import contextlib
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.files.base import ContentFile
from google.api_core.exceptions import NotFound
from google.cloud.storage.retry import DEFAULT_RETRY
from storages.backends.gcloud import GoogleCloudStorage
from storages.utils import clean_name


class BoundedGoogleCloudStorage(GoogleCloudStorage):
    """GoogleCloudStorage whose calls give up after GCS_TIMEOUT_SECONDS."""

    @property
    def call_options(self) -> dict[str, Any]:
        budget = settings.GCS_TIMEOUT_SECONDS
        return {"timeout": budget, "retry": DEFAULT_RETRY.with_timeout(budget).with_delay(0.05, 0.5)}

    def blob_name(self, name: str) -> str:
        """Return the bucket path for `name`, refusing paths that escape the location."""
        return self._normalize_name(clean_name(name))

    def _open(self, name: str, mode: str = "rb") -> ContentFile:
        if "w" in mode or "a" in mode:
            raise SuspiciousOperation("Write through save(), not open().")
        blob = self.bucket.blob(self.blob_name(name))
        try:
            data = blob.download_as_bytes(**self.call_options)
        except NotFound as exc:
            raise FileNotFoundError(f"File does not exist: {name}") from exc
        return ContentFile(data, name=name)

    def _save(self, name: str, content: Any) -> str:
        cleaned = clean_name(name)
        content.seek(0)
        data = content.read()
        blob = self.bucket.blob(self.blob_name(cleaned))
        parameters = self.get_object_parameters(cleaned)
        blob.upload_from_string(
            data if isinstance(data, bytes) else data.encode(),
            content_type=parameters.get("content_type") or getattr(content, "content_type", None),
            predefined_acl=parameters.get("acl", self.default_acl),
            **self.call_options,
        )
        return cleaned

    def delete(self, name: str) -> None:
        with contextlib.suppress(NotFound):
            self.bucket.delete_blob(self.blob_name(name), **self.call_options)

    def exists(self, name: str) -> bool:
        if not name:
            return self.bucket.exists(**self.call_options)
        return self.bucket.get_blob(self.blob_name(name), **self.call_options) is not None
