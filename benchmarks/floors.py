"""The floor of each hot path: the least code doing the same job on the same stack.

Each view reads what the real endpoint reads and makes the one call that does the job
(a django-redis `get`, an INSERT and an RQ enqueue, an UPDATE, one signature), with no
authentication check, validation, statistics, throttling or resilience. A scenario's
ratio to its floor says how much of the request is ours rather than the stack's.
They are mounted only by the benchmark's URLs (`benchmarks.urls`), never in production.
"""

import hashlib
import json
import uuid
from datetime import timedelta

from django.core.cache import caches
from django.core.files.storage import storages
from django.core.signing import Signer
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt


def noop_job(notification_id: str) -> None:
    """What the send floor enqueues: the benchmark drains the queues before any worker runs."""


@csrf_exempt
def hot_hit(request: HttpRequest) -> JsonResponse:
    """Read the service-token header, compute the key, make one django-redis `get`."""
    request.headers.get("Authorization")
    fields = json.loads(request.body)
    cache_key = hashlib.sha256(f"{fields['topic_id']}|{fields['interest']}|{fields['style']}".encode()).hexdigest()
    document = caches["hot"].get(cache_key)
    return JsonResponse({"cache_key": cache_key, "cache_hit": document is not None, "metadata": document})


@csrf_exempt
def send(request: HttpRequest) -> JsonResponse:
    """Make the notification's INSERT and one RQ enqueue of its delivery job."""
    from notifications_app.models import Notification
    from notifications_app.queueing import queue

    request.headers.get("Authorization")
    fields = json.loads(request.body)
    notification = Notification.objects.create(to=fields["to"], template=fields["template"], context=fields["context"])
    queue("default").enqueue("benchmarks.floors.noop_job", str(notification.pk))
    return JsonResponse({"id": str(notification.pk), "status": "queued"}, status=202)


@csrf_exempt
def progress(request: HttpRequest, cache_key: str) -> JsonResponse:
    """Make one UPDATE of the view session's position."""
    from delivery_app.models import ViewSession

    request.headers.get("Authorization")
    fields = json.loads(request.body)
    ViewSession.objects.filter(pk=uuid.UUID(fields["view_id"]), cache_key=cache_key).update(
        position_seconds=fields["position_seconds"], last_event_at=timezone.now()
    )
    return JsonResponse({"view_id": fields["view_id"], "position_seconds": fields["position_seconds"]})


def signed_url(request: HttpRequest, cache_key: str) -> JsonResponse:
    """Make one signature: `storage.url()` for a GCS bucket; for the local folder, the HMAC its links carry."""
    from storages.backends.gcloud import GoogleCloudStorage

    request.headers.get("Authorization")
    blob_name = f"bench/{cache_key}/720p.mp4"
    storage = storages["content"]
    if isinstance(storage, GoogleCloudStorage):
        url = storage.url(blob_name, parameters={"expiration": timedelta(seconds=900), "response_type": "video/mp4"})
    else:
        url = f"/files/{blob_name}?signature={Signer(salt='bench-floor').signature(blob_name)}"
    return JsonResponse({"cache_key": cache_key, "url": url})
