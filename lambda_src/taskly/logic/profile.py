"""Preferences use cases: read (defaults until first saved) and replace."""

from __future__ import annotations

from taskly.clock import Clock, utc_now
from taskly.data.interfaces import PreferencesRepository
from taskly.models.profile import Preferences, PreferencesUpdate


class PreferencesService:
    def __init__(self, *, repository: PreferencesRepository, clock: Clock = utc_now) -> None:
        self._repository = repository
        self._clock = clock

    def get(self, *, user_id: str) -> Preferences:
        return self._repository.get(user_id=user_id) or Preferences()

    def replace(self, *, user_id: str, preferences: PreferencesUpdate) -> Preferences:
        return self._repository.put(user_id=user_id, preferences=preferences, now=self._clock())
