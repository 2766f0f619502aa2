"""/api/v1/classrooms: a teacher's classrooms, and each enrolled student's progress on one video (JSON or CSV)."""

import csv
import io
from typing import Any

from django.db.models import QuerySet
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from cache_app.types import is_cache_key
from delivery_app import classrooms
from delivery_app.access_log import named_students_read
from delivery_app.api.serializers import RoundedFloatField
from vividly.accounts.models import Classroom
from vividly.api.base import PublicAPIView
from vividly.api.pagination import Pagination
from vividly.api.schema import STUDENTS_AND_TEACHERS, error_responses

TAGS = [STUDENTS_AND_TEACHERS]
STATUS_HELP = (
    "`completed`: one of the student's views of the video was marked complete; "
    "`in_progress`: one of their views has watched time or a furthest position above 0; "
    "`not_started`: their request is ready (or a view was opened) but nothing was watched yet; "
    "`pending`: their request waits for the content to be generated; "
    "`not_requested`: no open request (none, cancelled, or its generation failed). The first that applies."
)


class ClassroomSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    teacher = serializers.CharField(source="teacher_username", help_text="The teacher's username.")
    students = serializers.IntegerField(source="student_count", help_text="How many students are enrolled.")


class ProgressQuerySerializer(serializers.Serializer):
    cache_key = serializers.CharField(help_text="The video's cache key (64 lowercase hexadecimal characters).")

    def validate_cache_key(self, value: str) -> str:
        if not is_cache_key(value):
            raise serializers.ValidationError("Must be a cache key: 64 lowercase hexadecimal characters.")
        return value


class StudentProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    status = serializers.ChoiceField(choices=classrooms.ProgressStatus.ALL, help_text=STATUS_HELP)
    watched_seconds = RoundedFloatField(help_text="Watched time summed over the student's views of the video.")
    furthest_position_seconds = RoundedFloatField(help_text="The furthest position any of their views reached.")
    last_viewed_at = serializers.DateTimeField(allow_null=True, help_text="Their last progress event, if any.")


class ClassProgressSerializer(serializers.Serializer):
    classroom = serializers.IntegerField(help_text="The classroom's id.")
    cache_key = serializers.CharField()
    students = StudentProgressSerializer(many=True)


# Spreadsheets run a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: Any) -> Any:
    """Return `value` for a CSV cell: text a spreadsheet would run as a formula is quoted as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return "" if value is None else value


class ProgressCSVRenderer(BaseRenderer):
    """A class's progress rows as CSV: a header line, then one line per student.

    UTF-8 with a byte order mark, so spreadsheet programs (Excel above all) read the names right.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    columns = tuple(StudentProgressSerializer().fields)

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(self.columns)
        for row in data["students"]:
            writer.writerow([spreadsheet_text(row[column]) for column in self.columns])
        return ("\ufeff" + text.getvalue()).encode(self.charset)


def progress_rows(rows: list[classrooms.StudentProgress]) -> list[dict[str, Any]]:
    """Return the rows StudentProgressSerializer documents, built directly (a serializer costs
    more than the query for a class of 30, measured: ~14 ms a request with it)."""
    return [
        {
            "id": row.id,
            "username": row.username,
            "status": row.status,
            "watched_seconds": round(row.watched_seconds, 3),
            "furthest_position_seconds": round(row.furthest_position_seconds, 3),
            "last_viewed_at": row.last_viewed_at.isoformat().replace("+00:00", "Z") if row.last_viewed_at else None,
        }
        for row in rows
    ]


def progress_filename(classroom: Classroom, cache_key: str) -> str:
    """Return the CSV's file name: the classroom's name (ASCII) and the start of the key."""
    return f"progress-{slugify(classroom.name) or f'classroom-{classroom.pk}'}-{cache_key[:12]}.csv"


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        # The paginator's bounds (DRF documents limit and offset as any integer).
        parameters=[
            OpenApiParameter("limit", {"type": "integer", "minimum": 1}, description="at most 500; default 50"),
            OpenApiParameter("offset", {"type": "integer", "minimum": 0}),
        ],
        responses={200: ClassroomSerializer(many=True), **error_responses(400, 401, 403, 429)},
        summary="List a teacher's classrooms",
        description="The classrooms the signed-in teacher owns (staff: every classroom), by name, each with its "
        "teacher and enrolled students, paged with `limit` and `offset`. A student gets 403.",
    )
)
class ClassroomsView(PublicAPIView, ListAPIView):
    """DRF's list view, paged by the project's paginator (which the schema documents)."""

    serializer_class = ClassroomSerializer
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet:
        return classrooms.classrooms_for(user=self.request.user)


class ClassroomProgressView(PublicAPIView):
    renderer_classes = [JSONRenderer, ProgressCSVRenderer]

    @extend_schema(
        tags=TAGS,
        parameters=[
            ProgressQuerySerializer,
            OpenApiParameter("format", str, enum=["json", "csv"], description="csv: the rows as CSV; default json."),
        ],
        responses={
            (200, "application/json"): ClassProgressSerializer,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="A header line (the fields of a student row), then one line per student; UTF-8.",
            ),
            # Errors are JSON whatever was asked for.
            **{
                (code, "application/json"): error
                for code, error in error_responses(400, 401, 403, 404, 406, 429).items()
            },
        },
        summary="See how far each student of a class got with one video",
        description="One row per student enrolled in the classroom, by username, for the video `cache_key`: "
        f"their status, watched time, furthest position and last view. Status: {STATUS_HELP} Only the "
        "classroom's teacher and staff may ask: another teacher's classroom is a 404, a student gets 403. "
        "`?format=csv` or `Accept: text/csv` gives the same rows as a CSV file to download (safe to open in a "
        "spreadsheet); errors are JSON either way.",
    )
    def get(self, request: Request, classroom_id: int) -> Response:
        classroom = classrooms.classroom_visible(user=request.user, classroom_id=classroom_id)
        query = ProgressQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        cache_key = query.validated_data["cache_key"]
        rows = classrooms.classroom_progress(classroom=classroom, cache_key=cache_key)
        named_students_read(actor=request.user, students=[(row.id, row.username) for row in rows], action="progress")
        response = Response({"classroom": classroom.pk, "cache_key": cache_key, "students": progress_rows(rows)})
        if request.accepted_renderer.format == ProgressCSVRenderer.format:
            response["Content-Disposition"] = f'attachment; filename="{progress_filename(classroom, cache_key)}"'
        return response

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(response, Response) and (response.exception or request.method not in ("GET", "HEAD")):
            # Errors (the contract's body) and OPTIONS' description are JSON, whatever was asked for.
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        patch_vary_headers(response, ["Accept"])
        return super().finalize_response(request, response, *args, **kwargs)
