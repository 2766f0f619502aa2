"""A local HTTP server playing SendGrid's v3 `mail/send` API, so anymail really serialises and posts.

It records every request it receives and answers from a script: 202 by default, or
whatever replies a test queued (429 with rate-limit headers, 5xx, 400, 401, or a reply
held back longer than the client waits). Used by the tests and by `make bench`.

    with SendGridStandIn() as sendgrid:
        settings.ANYMAIL = {..., "SENDGRID_API_URL": sendgrid.api_url, "SENDGRID_API_KEY": sendgrid.api_key}
        sendgrid.script(Reply.server_error(), Reply.accepted())
        ...
        payload = sendgrid.payloads[0]
        [email] = sendgrid.emails()  # each recipient's email, personalization applied
"""

import json
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 202
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering (longer than the client's timeout: a hang).
    delay: float = 0.0

    @classmethod
    def accepted(cls) -> "Reply":
        return cls(202)

    @classmethod
    def rate_limited(cls, reset_in: float = 0) -> "Reply":
        """SendGrid's 429, with its X-RateLimit-* headers (reset is epoch seconds)."""
        reset = str(int(time.time() + reset_in))
        headers = {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
        return cls(429, {"errors": [{"field": None, "message": "too many requests"}]}, headers)

    @classmethod
    def server_error(cls, status: int = 503) -> "Reply":
        return cls(status, {"errors": [{"field": None, "message": "service unavailable"}]})

    @classmethod
    def bad_request(cls, message: str = "The from address does not match a verified Sender Identity.") -> "Reply":
        return cls(400, {"errors": [{"field": "from", "message": message, "help": None}]})

    @classmethod
    def hang(cls, seconds: float) -> "Reply":
        """Answer 202 only after `seconds`: a client with a shorter timeout gives up first."""
        return cls(202, delay=seconds)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    payload: Any
    # When the request arrived (epoch seconds): rates are counted from these.
    at: float = field(default_factory=time.time)
    # The status the stand-in answered (a client that gave up waiting never saw it).
    status: int | None = None


# SendGrid's limits on one mail/send call.
MAX_PERSONALIZATIONS = 1000
MAX_SUBSTITUTION_BYTES = 10_000


def payload_errors(payload: Any) -> list[dict[str, Any]]:
    """Return SendGrid-style errors for a payload missing what mail/send requires."""
    if not isinstance(payload, dict):
        return [{"field": None, "message": "Bad Request"}]
    errors = []
    personalizations = payload.get("personalizations")
    if not personalizations or not all(p.get("to") for p in personalizations):
        errors.append({"field": "personalizations", "message": "The personalizations field is required."})
    if not (payload.get("from") or {}).get("email"):
        errors.append({"field": "from.email", "message": "The from email is required."})
    if not payload.get("subject") and not payload.get("template_id"):
        errors.append({"field": "subject", "message": "The subject is required."})
    if not payload.get("content") and not payload.get("template_id"):
        errors.append({"field": "content", "message": "The content value must be a string at least one character."})
    # anymail sends `reply_to_list`; SendGrid refuses it beside `reply_to`, or with an entry lacking its email.
    if "reply_to_list" in payload and "reply_to" in payload:
        errors.append({"field": "reply_to_list", "message": "reply_to_list cannot be used with reply_to."})
    if not all((entry or {}).get("email") for entry in payload.get("reply_to_list") or []):
        errors.append({"field": "reply_to_list.email", "message": "The reply_to email is required."})
    for name, value in (payload.get("custom_args") or {}).items():
        if not isinstance(value, str):
            errors.append({"field": f"custom_args.{name}", "message": "Bad Request"})
    if len(personalizations or []) > MAX_PERSONALIZATIONS:
        errors.append({"field": "personalizations", "message": "The personalizations field is limited to 1000."})
    for personalization in personalizations or []:
        substitutions = personalization.get("substitutions") or {}
        if not all(isinstance(value, str) for value in substitutions.values()):
            errors.append({"field": "personalizations.substitutions", "message": "Substitutions must be strings."})
        elif sum(len(k.encode()) + len(v.encode()) for k, v in substitutions.items()) > MAX_SUBSTITUTION_BYTES:
            errors.append(
                {"field": "personalizations.substitutions", "message": "Substitutions are limited to 10000 bytes."}
            )
    return errors


def substituted(text: str, substitutions: dict[str, str]) -> str:
    for token, value in substitutions.items():
        text = text.replace(token, value)
    return text


@dataclass(frozen=True)
class Delivered:
    """One recipient's email as SendGrid would deliver it: its personalization applied to the message."""

    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]
    custom_args: dict[str, str]


def delivered(payload: dict[str, Any]) -> list[Delivered]:
    """Return the email each personalization of `payload` receives (substitutions in subject and content)."""
    content = {part["type"]: part["value"] for part in payload.get("content") or []}
    emails = []
    for personalization in payload.get("personalizations") or []:
        substitutions = personalization.get("substitutions") or {}
        for recipient in personalization.get("to") or []:
            emails.append(
                Delivered(
                    to=recipient["email"],
                    subject=substituted(personalization.get("subject") or payload.get("subject", ""), substitutions),
                    text=substituted(content.get("text/plain", ""), substitutions),
                    html=substituted(content.get("text/html", ""), substitutions),
                    headers={**(payload.get("headers") or {}), **(personalization.get("headers") or {})},
                    custom_args={**(payload.get("custom_args") or {}), **(personalization.get("custom_args") or {})},
                )
            )
    return emails


class StandInServer(ThreadingHTTPServer):
    daemon_threads = True
    # http.server listens with a backlog of 5: a sender opening many connections at once lost
    # about 1 s per refused connect, which made the stand-in the limit of a throughput run.
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client dying with its connection open (a SIGKILLed worker) is a scenario, not a bug.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SendGridStandIn:
    """A threaded HTTP server on a free loopback port; start() it or use it as a context manager."""

    def __init__(self, api_key: str = "SG.test-key", delay: float = 0.0, port: int = 0) -> None:
        self.api_key = api_key
        # 0: any free port; `make cluster` gives one in its own range.
        self.port = port
        # Seconds every reply waits unless a scripted one says otherwise (a provider's latency).
        self.delay = delay
        self.received: list[Received] = []
        # TCP connections accepted: a client keeping its session open uses one.
        self.connections = 0
        self._replies: list[Reply] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def api_url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v3/"

    @property
    def payloads(self) -> list[Any]:
        """Payloads posted to mail/send, in the order they arrived."""
        with self._lock:
            return [request.payload for request in self.received if request.path == "/v3/mail/send"]

    def custom_args(self, name: str) -> list[Any]:
        """Return the custom argument `name` of every email posted, in arrival order (our
        `notification_id`: count it to find an email sent twice); a grouped call gives one per
        personalization, where its own arguments override the message's."""
        return [email.custom_args.get(name) for email in self.emails()]

    def emails(self) -> list[Delivered]:
        """Return every recipient's email as delivered, in arrival order (a grouped call gives several)."""
        return [email for payload in self.payloads if isinstance(payload, dict) for email in delivered(payload)]

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with `replies`, in order; then 202 again."""
        with self._lock:
            self._replies.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self._replies.clear()
            self.connections = 0

    def next_reply(self, received: Received) -> Reply:
        with self._lock:
            self.received.append(received)
            scripted = self._replies.pop(0) if self._replies else None
        reply = scripted or self.reply_to(received)
        received.status = reply.status
        return reply

    def reply_to(self, received: Received) -> Reply:
        """Answer as SendGrid would: 401 for a wrong key, 400 for a payload it refuses, else 202."""
        if received.headers.get("Authorization") != f"Bearer {self.api_key}":
            return Reply(401, {"errors": [{"field": None, "message": "The provided authorization grant is invalid."}]})
        if received.path != "/v3/mail/send":
            return Reply(404, {"errors": [{"field": None, "message": "Not found"}]})
        if errors := payload_errors(received.payload):
            return Reply(400, {"errors": errors})
        return Reply.accepted()

    def start(self) -> "SendGridStandIn":
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with stand_in._lock:
                    stand_in.connections += 1

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    payload = json.loads(raw or b"null")
                except ValueError:
                    payload = raw.decode("utf-8", "replace")
                reply = stand_in.next_reply(Received(self.path, dict(self.headers), payload))
                if delay := reply.delay or stand_in.delay:
                    time.sleep(delay)
                body = b"" if reply.body is None else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    # SendGrid's own id for the message (anymail reports its anymail_id instead).
                    self.send_header("X-Message-Id", uuid.uuid4().hex[:22])
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a scripted hang)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = StandInServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(
            # A short poll interval makes stop() quick (it waits for the next poll).
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="sendgrid-stand-in",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "SendGridStandIn":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
