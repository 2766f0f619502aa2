"""Create demo users, a class, a service token and cached videos; print ready-to-paste curls."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from devstack.demo.content import DEMO_VIDEOS, seed_videos
from vividly.accounts.models import Role, ServiceToken, User
from vividly.accounts.services import enrollment_create, service_token_create, user_create, user_token_create

# Passes the password validators (length 12, not common, not like the usernames).
DEMO_PASSWORD = "vividly-demo-2026"
SERVICE_TOKEN_NAME = "demo-content-pipeline"
# Username, role and the display name emails greet them by.
USERS = [
    ("admin", Role.ADMIN, "Dana Admin"),
    ("ms_rivera", Role.TEACHER, "Ms Rivera"),
    ("alice", Role.STUDENT, "Alice Smith"),
    ("bob", Role.STUDENT, "Bob Jones"),
]
CLASSROOM = "Physics 101"


class Command(BaseCommand):
    help = "Create demo data (idempotent; the demo service token is replaced on each run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="Also write the printed credentials to this file.")

    def handle(self, *args, **options) -> None:
        # Demo data holds a well-known admin password: only a developer's own settings may create it.
        if not getattr(settings, "DEVSTACK", False):
            raise CommandError("seed_demo runs only with the local or test settings (DEVSTACK = True).")
        tokens: dict[str, str] = {}
        with transaction.atomic():
            for username, role, name in USERS:
                user = User.objects.filter(username=username).first()
                if user is None:
                    user, tokens[username] = user_create(
                        username=username,
                        role=role,
                        email=f"{username}@example.edu",
                        password=DEMO_PASSWORD,
                        display_name=name,
                    )
                else:
                    # A database seeded before users had names gets them too (a name edited since is kept).
                    User.objects.filter(pk=user.pk, display_name="").update(display_name=name)
                    # Only digests are stored: a rerun hands out a fresh token.
                    tokens[username] = user_token_create(user=user)[1]
            teacher = User.objects.get(username="ms_rivera")
            for student in ("alice", "bob"):
                enrollment_create(teacher=teacher, student=User.objects.get(username=student), classroom_name=CLASSROOM)
            # A service token's key is only shown at creation: replace the demo one.
            ServiceToken.objects.filter(name=SERVICE_TOKEN_NAME).delete()
            _, service_key = service_token_create(name=SERVICE_TOKEN_NAME)
        cache_keys = seed_videos()
        text = self.render(tokens, service_key, cache_keys)
        self.stdout.write(text)
        if options.get("output"):
            Path(options["output"]).write_text(text)

    def render(self, tokens: dict[str, str], service_key: str, cache_keys: list[str]) -> str:
        base = settings.PUBLIC_BASE_URL
        app = settings.APP_BASE_URL  # links in emails are for people: the app's pages
        first = DEMO_VIDEOS[0]
        lines = [
            "Demo data is ready.",
            f"  users (password {DEMO_PASSWORD!r}): admin (staff), ms_rivera (teacher of {CLASSROOM}),",
            "  alice (Alice Smith) and bob (Bob Jones), students in that class",
            f"  admin site: {base}/admin/   API docs: {base}/api/docs/",
            "",
            f"  ALICE={tokens['alice']}",
            f"  BOB={tokens['bob']}",
            f"  TEACHER={tokens['ms_rivera']}",
            f"  ADMIN={tokens['admin']}",
            f"  SERVICE={service_key}",
            "",
            "Try (paste the variables above into your shell first):",
            f"  curl -s {base}/readyz",
            f"  curl -s -X POST {base}/api/v1/auth/token -H 'Content-Type: application/json' "
            f'-d \'{{"username": "alice", "password": "{DEMO_PASSWORD}"}}\'',
            f'  curl -s -X POST {base}/internal/v1/cache/check -H "Authorization: Bearer $SERVICE" '
            f'-H \'Content-Type: application/json\' -d \'{{"topic_id": "{first["topic_id"]}", '
            f'"interest": "{first["interest"]}", "style": "{first["style"]}"}}\'',
            f'  curl -s {base}/internal/v1/cache/stats -H "Authorization: Bearer $SERVICE"',
        ]
        if cache_keys:
            lines += [
                f'  curl -s -X POST {base}/api/v1/content/requests -H "Authorization: Token $ALICE" '
                f'-H \'Content-Type: application/json\' -d \'{{"topic_id": "{first["topic_id"]}", '
                f'"interest": "{first["interest"]}", "style": "{first["style"]}"}}\'',
                f"  curl -s '{base}/api/v1/content/{cache_keys[0]}/url?quality=720p&type=video' "
                '-H "Authorization: Token $ALICE"',
                "  # HLS: the master playlist, then one segment under the same folder token",
                f'  URL=$(curl -s {base}/api/v1/content/{cache_keys[0]}/playback -H "Authorization: Token $ALICE" '
                "| python3 -c 'import json, sys; print(json.load(sys.stdin)[\"url\"])'); "
                "curl -s \"$URL\"; curl -s -o /dev/null -w '%{http_code} %{content_type} %{size_download}\\n' "
                '"${URL%master.m3u8}360p/segment0.ts"',
                f'  curl -s {base}/api/v1/content/{cache_keys[0]}/analytics -H "Authorization: Token $TEACHER"',
                f'  curl -s -X POST {base}/internal/v1/notifications/send -H "Authorization: Bearer $SERVICE" '
                '-H \'Content-Type: application/json\' -d \'{"to": "alice@example.edu", '
                '"template": "welcome_student", "context": {"student_name": "Alice Smith", '
                f'"login_url": "{app}/login"}}}}\'',
                f"  (emails land in {settings.EMAIL_FILE_PATH} as .eml files without SENDGRID_API_KEY)",
            ]
        return "\n".join(lines) + "\n"
