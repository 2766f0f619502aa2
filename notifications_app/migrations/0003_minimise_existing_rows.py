"""Drop what the privacy rules no longer keep from rows stored before them (PRIVACY.md, issue 11).

Provider events lose every field outside the whitelist (the reader's IP address, browser
and clicked link among them); final notifications lose their context's names and links.
Not reversible: what it drops is gone, which is the point.
"""

from django.db import migrations

from notifications_app.privacy import existing_rows_minimise


class Migration(migrations.Migration):
    dependencies = [
        ("notifications_app", "0002_notification_requested_by"),
    ]

    operations = [
        migrations.RunPython(existing_rows_minimise, reverse_code=migrations.RunPython.noop),
    ]
