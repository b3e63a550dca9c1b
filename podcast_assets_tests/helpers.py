"""Shared test helpers: resources on the session stack, catalog labels, control of the local index."""

from __future__ import annotations

import json

import requests

from podcast_assets.local.daemon import stop_process_group  # noqa: F401 - the tests stop dagster dev with it
from podcast_assets.local.podcast_index_server import CATALOG_DIR
from podcast_assets.resources.factory import build_resources
from podcast_assets.resources.kafka import KafkaResource


def resources_for(settings, **replace) -> dict:
    """The deployment's resources for ``settings``; ``replace`` swaps single resources (an engine, say)."""
    return {**build_resources(settings), **replace}


def kafka_for(settings) -> KafkaResource:
    return resources_for(settings)["kafka"]


def catalog() -> dict:
    return json.loads((CATALOG_DIR / "catalog.json").read_text())


def topic_of() -> dict[str, str]:
    return {str(e["id"]): e["topic"] for e in catalog()["episodes"]}


def control(settings, **body) -> None:
    base = settings.podcast_index_url.rsplit("/api/", 1)[0]
    requests.post(f"{base}/__control", json=body, timeout=5).raise_for_status()


def env_for(settings) -> dict[str, str]:
    """The environment a subprocess (the CLI, dagster's own commands) needs to see ``settings``."""
    import dataclasses
    import os

    values = {f.name: str(getattr(settings, f.name)) for f in dataclasses.fields(settings)
              if f.name != "from_environment"}
    return {**os.environ, **values}


def contract_results(home, contracts: dict[str, str]) -> dict[str, tuple[int, list[str]]]:
    """Per contract check: how many times the daemon's runs evaluated it, and the failures' descriptions."""
    import dagster as dg
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus as Status

    out = {}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for asset, name in contracts.items():
            history = instance.event_log_storage.get_asset_check_execution_history(
                dg.AssetCheckKey(dg.AssetKey(asset), name), limit=1000)
            out[name] = (len(history), [r.evaluation.description for r in history
                                        if r.status == Status.FAILED and r.evaluation is not None])
    return out


def freshness_states(home) -> dict[str, str]:
    """The freshness state the daemon recorded for each asset with a freshness policy ("none": not yet)."""
    import dagster as dg

    from podcast_assets.runs.freshness import WATCHED

    keys = [dg.AssetKey(name) for names in WATCHED.values() for name in names]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_freshness_state_records(keys)
    return {k.to_user_string(): records[k].freshness_state.value if k in records else "none" for k in keys}
