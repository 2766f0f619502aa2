"""What staff may see of an email in the admin: its context without secrets or links that grant access."""

import json
from typing import Any

HIDDEN = "•••• hidden (it grants access)"
# Links in these emails log their holder in or join a class: a reader of the admin would hold them.
ACCESS_LINK_TEMPLATES = frozenset({"password_reset", "class_invitation"})
# A key with one of these words (`reset_token`, `api_key`, `temp_password`) holds a secret.
SECRET_WORDS = frozenset({"token", "password", "passwd", "secret", "key", "signature", "otp", "credential", "pin"})


def is_secret_key(name: str) -> bool:
    words = name.lower().replace("-", "_").split("_")
    return any(word in SECRET_WORDS or word.rstrip("s") in SECRET_WORDS for word in words)


def context_for_staff(template: str, context: Any) -> Any:
    """Return `context` with secret values, and the access links of `ACCESS_LINK_TEMPLATES`, replaced by HIDDEN."""
    if isinstance(context, list):
        return [context_for_staff(template, item) for item in context]
    if not isinstance(context, dict):
        return context
    shown: dict[str, Any] = {}
    for name, value in context.items():
        if is_secret_key(str(name)) or (template in ACCESS_LINK_TEMPLATES and str(name).endswith("_url")):
            shown[name] = HIDDEN
        else:
            shown[name] = context_for_staff(template, value)
    return shown


def context_for_staff_text(template: str, context: Any) -> str:
    return json.dumps(context_for_staff(template, context), indent=2, ensure_ascii=False, sort_keys=True)
