"""`make demo`: watch the whole story run against a fresh stack (web, worker, Redis, SendGrid stand-in).

The generator is the stub (devstack/generator_stub.py) driven by the story over HTTP: it
claims the job the student's miss opened, uploads through the signed PUT links, heartbeats
and completes.

Everything runs on this machine in a temporary folder: SQLite, the local storages, the
Redis on localhost:6379 (database 12 and 13) or an embedded one, and a local server
playing SendGrid's API, so the email and its delivery event are real HTTP.
"""

import os
import sys
import tempfile
from pathlib import Path

from devstack import launcher

WEBHOOK_SECRET = "sendgrid:demo-secret"


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="vividly-demo-"))
    redis_process = None
    if "REDIS_URL" in os.environ:
        base = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    elif launcher.redis_answers("localhost", 6379):
        base = "redis://127.0.0.1:6379"
    else:
        redis_process, url = launcher.start_embedded_redis(data_dir)
        base = url.rsplit("/", 1)[0]

    from devstack.sendgrid import SendGridStandIn

    with SendGridStandIn() as sendgrid:
        env = {
            "DJANGO_SETTINGS_MODULE": "vividly.settings.local",
            "VIVIDLY_DATA_DIR": str(data_dir),
            "DATABASE_URL": f"sqlite:///{data_dir / 'demo.sqlite3'}",
            "REDIS_URL": f"{base}/12",
            "RQ_REDIS_URL": f"{base}/13",
            "SENDGRID_API_KEY": sendgrid.api_key,
            "SENDGRID_API_URL": sendgrid.api_url,
            "SENDGRID_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
        os.environ.update(env)
        from devstack.stack import Stack

        stack = Stack(data_dir=data_dir, env=env)
        os.environ["PUBLIC_BASE_URL"] = stack.url
        print(f"[demo] a fresh stack in {data_dir}: web {stack.url}, worker, SendGrid stand-in {sendgrid.api_url}")
        stack.manage("migrate", "--noinput")
        import django

        django.setup()
        from django_redis import get_redis_connection

        for alias in ("hot", "state"):
            get_redis_connection(alias).flushdb()
        from devstack.demo.story import run_story

        cast = make_cast(stack, sendgrid, data_dir)
        try:
            stack.start_web()
            stack.start_worker()
            print("[demo] web and worker are up; the story begins.\n")
            run_story(cast, say=print)
            print("\n[demo] the story ran to the end: every step checked.")
            print(f"[demo] logs: {stack.logs}")
        finally:
            stack.stop()
            if redis_process is not None:
                redis_process.terminate()


def make_cast(stack, sendgrid, data_dir: Path):
    from devstack.demo.story import Cast
    from vividly.accounts.services import enrollment_create, service_token_create, user_create

    student, student_token = user_create(
        username="nia", role="student", email="nia@example.edu", password="demo-story-2026", display_name="Nia Adeyemi"
    )
    teacher, teacher_token = user_create(
        username="ms_okafor", role="teacher", password="demo-story-2026", display_name="Ms Okafor"
    )
    enrollment_create(teacher=teacher, student=student, classroom_name="Physics 9B")
    user_create(username="admin", role="admin", password="demo-admin-story-2026")
    _, service_key = service_token_create(name="content-pipeline")
    return Cast(
        base_url=stack.url,
        student_token=student_token,
        student_email="nia@example.edu",
        teacher_token=teacher_token,
        service_key=service_key,
        staff_username="admin",
        staff_password="demo-admin-story-2026",
        webhook_secret=WEBHOOK_SECRET,
        content_dir=data_dir / "content",
        sent_emails=lambda: sendgrid.payloads,
    )


if __name__ == "__main__":
    sys.exit(main())
