"""An in-process GCS emulator (gcp-storage-emulator) and storage settings pointing at it."""

import os

from gcp_storage_emulator.server import Server, create_server
from google.auth.credentials import AnonymousCredentials


class GcsEmulator:
    """A GCS JSON API on loopback that tests may wipe, stop and start again on the same port."""

    def __init__(self, buckets: tuple[str, ...] = ("test-cache", "test-content")) -> None:
        self.buckets = buckets
        self.port = 0
        self.server: Server | None = None

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "GcsEmulator":
        self.server = create_server("127.0.0.1", self.port, in_memory=True, default_bucket=self.buckets[0])
        self.server.start()
        self.port = self.server._api._httpd.server_address[1]
        for bucket in self.buckets[1:]:
            from gcp_storage_emulator.handlers import buckets

            buckets.create_bucket(bucket, self.server._storage)
        # google-cloud-storage reads this when a client is created.
        os.environ["STORAGE_EMULATOR_HOST"] = self.host
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def wipe(self) -> None:
        assert self.server is not None
        self.server.wipe(keep_buckets=True)


def gcs_storage(bucket: str, **options: object) -> dict:
    """Return a STORAGES entry for our bounded GCS backend on the emulator's `bucket`."""
    return {
        "BACKEND": "vividly.storage.BoundedGoogleCloudStorage",
        "OPTIONS": {
            "bucket_name": bucket,
            "project_id": "test-project",
            # Real service-account credentials would make the client refresh a token
            # from Google (and hang); the emulator accepts anonymous calls.
            "credentials": AnonymousCredentials(),
            "querystring_auth": False,
            **options,
        },
    }
