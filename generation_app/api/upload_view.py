"""PUT /files/upload/<blob>?token= : the local stand-in for a GCS signed PUT (no bucket configured)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from generation_app.uploads import generation_upload_receive
from vividly.api.error_bodies import error_response
from vividly.errors import DomainError


@csrf_exempt  # authorised by the signed link, like a GCS signed URL; there is no session
@require_http_methods(["PUT"])
def receive_upload(request: HttpRequest, blob_name: str) -> HttpResponse:
    raw_length = request.META.get("CONTENT_LENGTH") or ""
    if not raw_length.isdigit():
        return error_response(411, code="length_required", message="Send the artifact with a Content-Length.")
    try:
        size = generation_upload_receive(
            blob_name=blob_name,
            token=request.GET.get("token", ""),
            content_type=request.content_type or "",
            length=int(raw_length),
            body=request,
        )
    except DomainError as exc:
        return error_response(exc.status_code, code=exc.code, message=exc.message, details=exc.details)
    return JsonResponse({"blob_name": blob_name, "size": size}, status=201)
