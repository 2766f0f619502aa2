"""Domain errors: each carries its stable code and HTTP status as class attributes."""

from typing import Any


class DomainError(Exception):
    """Base of every error the service reports to clients on purpose."""

    code: str = "error"
    status_code: int = 400
    default_message: str = "The request could not be completed."
    # Seconds a client should wait before trying again (sent as Retry-After), if any.
    retry_after: int | None = None

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details or {}
        if retry_after is not None:
            self.retry_after = retry_after
        super().__init__(self.message)


class InvalidInput(DomainError):
    code = "validation_error"
    status_code = 400
    default_message = "The request has invalid fields."


class NotFound(DomainError):
    code = "not_found"
    status_code = 404
    default_message = "Not found."


class Conflict(DomainError):
    code = "conflict"
    status_code = 409
    default_message = "The request conflicts with the current state."


class RateLimited(DomainError):
    code = "rate_limited"
    status_code = 429
    default_message = "Too many requests; try again later."
    retry_after = 60


class DependencyUnavailable(DomainError):
    code = "service_unavailable"
    status_code = 503
    default_message = "A backing service is unavailable; try again shortly."
    retry_after = 5


class Forbidden(DomainError):
    code = "permission_denied"
    status_code = 403
    default_message = "You do not have permission to perform this action."
