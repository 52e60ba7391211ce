"""User preferences (stored in legacy's ``preferences`` collection, see taskly.data)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import Field, Strict, StringConstraints

from taskly.models.common import JSON_INTEGER, ApiModel, StrictModel

Language = Annotated[str, Strict(), StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]


class Theme(StrEnum):
    LIGHT = "light"
    DARK = "dark"
    SYSTEM = "system"


class PreferencesUpdate(StrictModel):
    """``PUT`` replaces the whole document, so every field is required."""

    theme: Theme
    language: Language
    email_notifications: Annotated[bool, Strict()]
    tasks_page_size: Annotated[int, Field(ge=1, le=100), JSON_INTEGER]


class Preferences(ApiModel):
    theme: Theme = Theme.SYSTEM
    language: str = "en"
    email_notifications: bool = True
    tasks_page_size: int = 20
    updated_at: dt.datetime | None = Field(
        default=None, description="null until the user saves preferences for the first time"
    )
