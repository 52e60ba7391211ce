"""Session-wide fixtures: each stage is synthesized once, whichever tests ask for it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.synth import SynthesizedStage, all_stage_names, synthesize


@pytest.fixture(scope="session")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], SynthesizedStage]:
    """Return a function that synthesizes a stage on first use and caches it."""
    cache: dict[str, SynthesizedStage] = {}
    root = tmp_path_factory.mktemp("cdk-out")

    def get(name: str) -> SynthesizedStage:
        if name not in cache:
            cache[name] = synthesize(name, root / name)
        return cache[name]

    return get


@pytest.fixture(scope="session")
def all_stages(stage: Callable[[str], SynthesizedStage]) -> list[SynthesizedStage]:
    return [stage(name) for name in all_stage_names()]


@pytest.fixture(scope="session")
def dev(stage: Callable[[str], SynthesizedStage]) -> SynthesizedStage:
    return stage("dev")


@pytest.fixture(scope="session")
def prod(stage: Callable[[str], SynthesizedStage]) -> SynthesizedStage:
    return stage("prod")
