"""The generation queue's domain errors, each with its stable code and HTTP status."""

from vividly.errors import Conflict, InvalidInput, NotFound


class JobNotFound(NotFound):
    default_message = "No such generation job."


class LeaseLost(Conflict):
    code = "lease_lost"
    default_message = (
        "This lease is no longer held (it expired, the job was finished or cancelled, or another "
        "worker claimed it); nothing was changed."
    )


class MissingAssets(InvalidInput):
    code = "missing_assets"
    default_message = "Some blobs named in the metadata are not in the content bucket; upload them first."


class JobNotRetryable(Conflict):
    default_message = "Only a failed or cancelled job can be retried, and only while its key has no open job."
