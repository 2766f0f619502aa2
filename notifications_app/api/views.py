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
from vividly.api.schema import error_responses


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
        request=SendRequestSerializer,
        responses={202: QueuedSerializer, **error_responses(400, 401, 403, 409, 429)},
        description="Queue one templated email. The same idempotency_key with the same request returns "
        "the first notification; with a different request, 409. Over the token's daily send quota: 429.",
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
        request=BatchSendRequestSerializer,
        responses={202: BatchSendResponseSerializer, **error_responses(400, 401, 403, 429)},
        description="Queue one template to up to 1000 recipients. Valid items are queued; invalid ones "
        "are reported in place, without an id. A batch that would pass the token's daily send quota: 429.",
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
        operation_id="notifications_status", responses={200: StatusSerializer, **error_responses(401, 403, 404)}
    )
    def get(self, request: Request, notification_id: uuid.UUID) -> Response:
        return Response(StatusSerializer(notification_get(notification_id=notification_id)).data)
