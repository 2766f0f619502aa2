"""Device type, browser and OS from a User-Agent header, through the ua-parser rules."""

import re
from dataclasses import dataclass
from functools import lru_cache

from user_agents import parse

from delivery_app.models import DeviceType


@dataclass(frozen=True)
class Device:
    device_type: str
    browser: str
    os: str


USER_AGENT_MAX = 512
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def user_agent_text(header: str) -> str:
    """Return the User-Agent as stored: no control characters (PostgreSQL refuses NUL), bounded."""
    return CONTROL_CHARACTERS.sub("", header)[:USER_AGENT_MAX]


@lru_cache(maxsize=2048)
def device_from_user_agent(user_agent: str) -> Device:
    """Return what the User-Agent says (parsing costs ~1 ms, so results are remembered)."""
    if not user_agent:
        return Device(DeviceType.OTHER, "Other", "Other")
    agent = parse(user_agent)
    if agent.is_bot:
        device_type = DeviceType.BOT
    elif agent.is_tablet:
        device_type = DeviceType.TABLET
    elif agent.is_mobile:
        device_type = DeviceType.MOBILE
    elif agent.is_pc:
        device_type = DeviceType.DESKTOP
    else:
        device_type = DeviceType.OTHER
    return Device(device_type, agent.browser.family[:64] or "Other", agent.os.family[:64] or "Other")
