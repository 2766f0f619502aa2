"""Internal API: send one email, send a batch, read a notification's status."""

import uuid

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
from notifications_app.selectors import notification_get
from notifications_app.services import BatchItem, error_summary, notification_send, notification_send_batch
from vividly.api.base import InternalAPIView
from vividly.api.schema import error_responses


class SendView(InternalAPIView):
    @extend_schema(
        operation_id="notifications_send",
        request=SendRequestSerializer,
        responses={202: QueuedSerializer, **error_responses(400, 401, 403, 409, 429)},
        description="Queue one templated email. The same idempotency_key with the same request returns "
        "the first notification; with a different request, 409.",
    )
    def post(self, request: Request) -> Response:
        serializer = SendRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notification = notification_send(**serializer.validated_data)
        return Response({"id": notification.pk, "status": notification.status}, status=202)


def batch_item_body(item: BatchItem) -> dict:
    if item.notification is not None:
        return {"id": item.notification.pk, "to": item.to, "status": item.notification.status}
    error = item.error
    body = {"code": error.code, "message": error_summary(error)}
    if error.details:
        body["details"] = error.details
    return {"to": item.to, "error": body}


class BatchSendView(InternalAPIView):
    @extend_schema(
        operation_id="notifications_send_batch",
        request=BatchSendRequestSerializer,
        responses={202: BatchSendResponseSerializer, **error_responses(400, 401, 403)},
        description="Queue one template to up to 1000 recipients. Valid items are queued; invalid ones "
        "are reported in place, without an id.",
    )
    def post(self, request: Request) -> Response:
        serializer = BatchSendRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch_id, items = notification_send_batch(**serializer.validated_data)
        return Response({"batch_id": batch_id, "notifications": [batch_item_body(item) for item in items]}, status=202)


class StatusView(InternalAPIView):
    @extend_schema(
        operation_id="notifications_status", responses={200: StatusSerializer, **error_responses(401, 403, 404)}
    )
    def get(self, request: Request, notification_id: uuid.UUID) -> Response:
        return Response(StatusSerializer(notification_get(notification_id=notification_id)).data)
