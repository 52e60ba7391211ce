"""Turns a queued message into an email."""

from __future__ import annotations

from taskly.data.interfaces import EmailSender
from taskly.models.email import TaskSharedEmail


class ShareNotifier:
    def __init__(self, *, sender_address: str, sender: EmailSender) -> None:
        self._sender_address = sender_address
        self._sender = sender

    def deliver(self, message: TaskSharedEmail) -> str:
        intro = f'A task was shared with you: "{message.task_title}".'
        return self._sender.send(
            sender=self._sender_address,
            recipient=message.recipient,
            subject=f"Taskly: {message.task_title[:80]}",
            text=(
                f"{intro}\n\n"
                f"Task id: {message.task_id}\n"
                f"Shared at: {message.shared_at.isoformat()}\n"
            ),
        )
