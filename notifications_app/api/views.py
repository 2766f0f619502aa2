"""Internal API: send one email, send a batch, read a notification's status.

Each view declares the service-token scope it needs (`required_scope`); the project's
permission class reads it.
"""

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from notifications_app.api.serializers import (
    BatchSendRequestSerializer,
    BatchSendResponseSerializer,
    QueuedSerializer,
    SendRequestSerializer,
    StatusSerializer,
)
from notifications_app.rate_limits import SendQuota
from notifications_app.selectors import notification_get
from notifications_app.services import Sender, notification_accept, notification_send_batch
from vividly.api.base import InternalAPIView
from vividly.api.schema import NOTIFICATIONS, error_responses


def sender_of(user: Any) -> Sender:
    """Return who calls: their name, recorded on each email, and their token's daily quota.

    Only a service token carries `send_quota` (None: unlimited); staff users are not limited.
    """
    per_day, token_id = getattr(user, "send_quota", None), getattr(user, "token_id", None)
    limited = per_day is not None and token_id is not None and not user.is_staff
    return Sender(requested_by=user.username, quota=SendQuota(token_id=token_id, per_day=per_day) if limited else None)


class SendView(InternalAPIView):
    required_scope = "notify:send"

    @extend_schema(
        operation_id="notifications_send",
        tags=[NOTIFICATIONS],
        summary="Send one email from a template",
        description="Queue one email to `to` from a named template with the context it needs (see the "
        "template table in the contract; every `*_url` must link to one of the service's own hosts). The "
        "answer is 202 with the notification's `id`: follow it with the status call. An unknown template, a bad "
        "address or a missing variable is a 400 (a greeting name may be an empty string: the email then says "
        '"Hi,"). Send an `idempotency_key` to retry safely: the same request again returns the first id and '
        "sends nothing more; a different request under the same key is a 409. Too many emails of one template "
        "to one address in an hour, or over the token's daily quota, is a 429. Needs `notify:send`.",
        request=SendRequestSerializer,
        responses={202: QueuedSerializer, **error_responses(400, 401, 403, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        serializer = SendRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notification = notification_accept(**serializer.validated_data, sender=sender_of(request.user))
        return Response(QueuedSerializer(notification).data, status=202)


class BatchSendView(InternalAPIView):
    required_scope = "notify:send"

    @extend_schema(
        operation_id="notifications_send_batch",
        tags=[NOTIFICATIONS],
        summary="Send one template to many recipients",
        description="Queue one template to up to 1000 recipients, each with their own context. The answer lists "
        "the recipients in request order: a queued one with its `id`, an invalid one with its `error` and no "
        "`id`. The valid ones are sent whatever is wrong with the others. A batch that would go past the "
        "token's daily quota is refused whole (429). Needs `notify:send`.",
        request=BatchSendRequestSerializer,
        responses={202: BatchSendResponseSerializer, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        serializer = BatchSendRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch_id, items = notification_send_batch(**serializer.validated_data, sender=sender_of(request.user))
        body = BatchSendResponseSerializer({"batch_id": batch_id, "notifications": items}).data
        return Response(body, status=202)


class StatusView(InternalAPIView):
    required_scope = "notify:read"

    @extend_schema(
        operation_id="notifications_status",
        tags=[NOTIFICATIONS],
        summary="Follow one email's delivery",
        description="Where the email is now (`queued`, `sending`, `sent`, `delivered`, `deferred`, `bounced`, "
        "`rejected`, `failed`, …), how many times the provider was called, when it was sent and delivered, and "
        "the provider's events, oldest first. Needs `notify:read`.",
        responses={200: StatusSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, notification_id: uuid.UUID) -> Response:
        return Response(StatusSerializer(notification_get(notification_id=notification_id)).data)
