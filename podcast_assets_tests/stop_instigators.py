"""Stops every sensor and schedule of the code location in the instance at ``DAGSTER_HOME``, in one process (what
``dagster sensor stop`` and ``dagster schedule stop`` do one name and one process at a time). Run as
``python podcast_assets_tests/stop_instigators.py`` with ``DAGSTER_HOME`` set."""

import dagster as dg
from dagster._cli.workspace.cli_target import RepositoryOpts, get_repository_from_cli_opts
from dagster_shared.cli import WorkspaceOpts


def main() -> None:
    with dg.DagsterInstance.get() as instance, get_repository_from_cli_opts(
            instance, dg.__version__, WorkspaceOpts(module_name=("podcast_assets.definitions",)),
            RepositoryOpts()) as repo:
        for sensor in repo.get_sensors():
            instance.stop_sensor(sensor.get_remote_origin_id(), sensor.selector_id, sensor)
        for schedule in repo.get_schedules():
            instance.stop_schedule(schedule.get_remote_origin_id(), schedule.selector_id, schedule)
        print(f"stopped {len(repo.get_sensors())} sensors and {len(repo.get_schedules())} schedules")


if __name__ == "__main__":
    main()
