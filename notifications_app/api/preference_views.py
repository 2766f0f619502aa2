"""Public API: the calling user's own notification preferences (read and change them)."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from notifications_app.api.preference_serializers import NotificationPreferencesSerializer
from notifications_app.preference_services import preference_of_user, preferences_update
from vividly.api.base import PublicAPIView, json_object
from vividly.api.schema import STUDENTS_AND_TEACHERS, error_responses


class NotificationPreferencesView(PublicAPIView):
    @extend_schema(
        operation_id="me_notification_preferences",
        tags=[STUDENTS_AND_TEACHERS],
        summary="Read my email preferences",
        responses={200: NotificationPreferencesSerializer, **error_responses(401, 429)},
        description="Your email preferences: which kinds of email you get on each channel (`content_updates` "
        "can be turned off; transactional email such as password resets is always sent), whether `content_ready` "
        "emails come one by one or as one daily digest, your quiet hours and your IANA time zone.",
    )
    def get(self, request: Request) -> Response:
        return Response(NotificationPreferencesSerializer(preference_of_user(request.user)).data)

    @extend_schema(
        operation_id="me_notification_preferences_update",
        tags=[STUDENTS_AND_TEACHERS],
        summary="Change my email preferences",
        request=NotificationPreferencesSerializer,
        responses={200: NotificationPreferencesSerializer, **error_responses(400, 401, 429)},
        description="Change some of your preferences: send only the fields you change. Turning a transactional "
        "category off, an unknown category or channel, an unknown time zone, a time that is not HH:MM, or "
        "quiet hours that start and end at the same minute: 400 with per-field details.",
    )
    def patch(self, request: Request) -> Response:
        serializer = NotificationPreferencesSerializer(data=json_object(request.data), partial=True)
        serializer.is_valid(raise_exception=True)
        preference = preferences_update(preference=preference_of_user(request.user), **serializer.update_arguments())
        return Response(NotificationPreferencesSerializer(preference).data)
