"""Session-wide fixtures: each stage is synthesized once, whichever tests ask for it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.synth import VARIANTS, SynthesizedStage, all_stage_names, synthesize, variant_names


@pytest.fixture(scope="session")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], SynthesizedStage]:
    """Return a function that synthesizes a stage (or a variant) on first use and caches it."""
    cache: dict[str, SynthesizedStage] = {}
    root = tmp_path_factory.mktemp("cdk-out")

    def get(name: str) -> SynthesizedStage:
        if name not in cache:
            base, overrides = VARIANTS.get(name, (name, {}))
            cache[name] = synthesize(base, root / name, overrides=overrides)
        return cache[name]

    return get


@pytest.fixture(scope="session")
def all_stages(stage: Callable[[str], SynthesizedStage]) -> list[SynthesizedStage]:
    """Every stage and every variant (tests/synth.py VARIANTS): all pass the same gates."""
    return [stage(name) for name in (*all_stage_names(), *variant_names())]


@pytest.fixture(scope="session")
def migration(stage: Callable[[str], SynthesizedStage]) -> SynthesizedStage:
    return stage("staging-migration")


@pytest.fixture(scope="session")
def dev(stage: Callable[[str], SynthesizedStage]) -> SynthesizedStage:
    return stage("dev")


@pytest.fixture(scope="session")
def prod(stage: Callable[[str], SynthesizedStage]) -> SynthesizedStage:
    return stage("prod")
