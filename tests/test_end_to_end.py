"""The whole story with the real server (gunicorn), the real worker, real Redis, SendGrid at the wire."""

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password

from devstack.demo.story import Cast, run_story
from devstack.sendgrid import SendGridStandIn
from devstack.stack import Stack
from devstack.workers import database_url
from vividly.accounts.services import service_token_create
from vividly.accounts.tests.factories import (
    ClassroomFactory,
    StaffFactory,
    StudentFactory,
    TeacherFactory,
    user_token,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WEBHOOK_SECRET = "sendgrid:e2e-secret"


def test_the_whole_story(tmp_path):
    student = StudentFactory(email="nia@example.edu", display_name="Nia Adeyemi")
    teacher = TeacherFactory()
    ClassroomFactory(teacher=teacher, students=[student])
    staff = StaffFactory(username="staffer")
    # The server runs the default hashers, not the tests' fast MD5 one.
    staff.password = make_password("pw-for-tests", hasher="pbkdf2_sha256")
    staff.save()
    _, service_key = service_token_create(name="content-pipeline")
    with SendGridStandIn() as sendgrid:
        stack = Stack(
            data_dir=tmp_path / "stack",
            env={
                "DATABASE_URL": database_url(),
                "REDIS_URL": settings.REDIS_URL,
                "RQ_REDIS_URL": settings.RQ_REDIS_URL,
                "SENDGRID_API_KEY": sendgrid.api_key,
                "SENDGRID_API_URL": sendgrid.api_url,
                "SENDGRID_WEBHOOK_SECRET": WEBHOOK_SECRET,
            },
        )
        try:
            stack.start_web()
            stack.start_worker()
            facts = run_story(
                Cast(
                    base_url=stack.url,
                    student_token=user_token(student),
                    student_email=student.email,
                    teacher_token=user_token(teacher),
                    service_key=service_key,
                    staff_username=staff.username,
                    staff_password="pw-for-tests",
                    webhook_secret=WEBHOOK_SECRET,
                    content_dir=stack.data_dir / "content",
                    sent_emails=lambda: sendgrid.payloads,
                )
            )
        finally:
            stack.stop()
    assert facts["analytics"]["unique_viewers"] == 1
    assert len(sendgrid.payloads) == 1  # one content_ready email, to the one student
