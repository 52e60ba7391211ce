"""The message the tasks service puts on the email queue and the worker consumes."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import ConfigDict

from taskly.models.common import ApiModel, EmailAddress


class TaskSharedEmail(ApiModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["task_shared"] = "task_shared"
    task_id: str
    task_title: str
    recipient: EmailAddress
    shared_by: str
    shared_at: dt.datetime
