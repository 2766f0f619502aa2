"""Local email backend: each message becomes one .eml file in EMAIL_FILE_PATH."""

import uuid
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    """Write each message as `<time>-<uuid>.eml`, openable in any mail client."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
            path = folder / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
            partial = path.with_suffix(".eml.part")
            partial.write_bytes(message.message().as_bytes(linesep="\r\n"))
            partial.rename(path)  # a reader never sees half a message
            sent += 1
        return sent
