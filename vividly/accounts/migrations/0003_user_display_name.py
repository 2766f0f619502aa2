"""Users get one display name; a name already given as first and last name carries over."""

from django.db import migrations, models
from django.db.models import Q


def names_carry_over(apps, schema_editor):
    """Set display_name from first_name and last_name (what `create_api_user --name` used to fill)."""
    User = apps.get_model("accounts", "User")
    named = User.objects.filter(display_name="").exclude(Q(first_name="") & Q(last_name=""))
    for user in named.only("pk", "first_name", "last_name").iterator():
        name = f"{user.first_name} {user.last_name}".strip()
        User.objects.filter(pk=user.pk).update(display_name=name[:150])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_service_token_scopes_expiry"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="display_name",
            field=models.CharField(
                blank=True,
                help_text="The name emails greet this person by (empty: a neutral greeting).",
                max_length=150,
            ),
        ),
        migrations.RunPython(names_carry_over, migrations.RunPython.noop, elidable=True),
    ]
