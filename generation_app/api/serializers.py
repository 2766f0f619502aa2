"""Request and response shapes of the generation API: the one place a request becomes typed args."""

from typing import Any

from rest_framework import serializers

from generation_app.artifacts import artifact_errors
from generation_app.models import GenerationJob, JobStatus
from generation_app.uploads import Artifact
from vividly.api.fields import TextField

LEASE_SECONDS = {"min_value": 5, "max_value": 3600, "default": 600}
MAX_JOBS = {"min_value": 1, "max_value": 20, "default": 1}
FILES_MAX = 50


class JobClaimSerializer(serializers.Serializer):
    worker = TextField(max_length=200)
    lease_seconds = serializers.IntegerField(**LEASE_SECONDS)
    max_jobs = serializers.IntegerField(**MAX_JOBS)


class JobLeaseSerializer(serializers.Serializer):
    lease_token = serializers.CharField(max_length=64, trim_whitespace=False)


class JobHeartbeatSerializer(JobLeaseSerializer):
    progress = serializers.FloatField(min_value=0, max_value=1, required=False)
    stage = TextField(max_length=200, required=False)


class JobArtifactSerializer(serializers.Serializer):
    name = TextField(max_length=1024)
    content_type = TextField(max_length=200)

    def validate(self, attrs: dict[str, Any]) -> Artifact:
        if errors := artifact_errors(attrs["name"], attrs["content_type"]):
            raise serializers.ValidationError(errors)
        return Artifact(name=attrs["name"], content_type=attrs["content_type"])


class JobUploadsSerializer(JobLeaseSerializer):
    files = JobArtifactSerializer(many=True, allow_empty=False, max_length=FILES_MAX)

    def validate_files(self, files: list[Artifact]) -> list[Artifact]:
        if len({artifact.name for artifact in files}) != len(files):
            raise serializers.ValidationError("Each name may appear once.")
        return files

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {"lease_token": attrs["lease_token"], "artifacts": attrs["files"]}


class JobCompleteSerializer(JobLeaseSerializer):
    # The cache store's own rules check it (and their messages are the answer's).
    metadata = serializers.JSONField()


class JobFailSerializer(JobLeaseSerializer):
    retryable = serializers.BooleanField()
    error_code = serializers.RegexField(r"^[a-z0-9_.-]{1,64}$", help_text="e.g. gpu_timeout")
    message = TextField(max_length=2000, allow_blank=True, required=False, default="")


class JobListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=JobStatus.choices, required=False)


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = GenerationJob
        fields = [
            "id",
            "cache_key",
            "topic_id",
            "interest",
            "style",
            "status",
            "demand",
            "attempts",
            "created_at",
            "updated_at",
            "lease_expires_at",
            "last_error",
        ]


class ClaimedJobSerializer(JobSerializer):
    attempt = serializers.IntegerField(source="attempts")

    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "attempt", "lease_token"]


class ClaimResponseSerializer(serializers.Serializer):
    jobs = ClaimedJobSerializer(many=True)


class HeartbeatResponseSerializer(serializers.Serializer):
    lease_expires_at = serializers.DateTimeField()
    cancel_requested = serializers.BooleanField()


class UploadTargetSerializer(serializers.Serializer):
    name = serializers.CharField()
    blob_name = serializers.CharField()
    method = serializers.CharField()
    url = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    expires_at = serializers.DateTimeField()


class UploadsResponseSerializer(serializers.Serializer):
    uploads = UploadTargetSerializer(many=True)


class CompleteResponseSerializer(serializers.Serializer):
    cache_key = serializers.CharField()
    stored = serializers.BooleanField()


class FailResponseSerializer(serializers.Serializer):
    status = serializers.CharField()
    retry_at = serializers.DateTimeField(allow_null=True)


class JobPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = JobSerializer(many=True)
