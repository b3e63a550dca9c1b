"""The ``episodes`` contract, evaluated on the real Delta table the asset wrote, then broken in it."""

import dagster as dg
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from podcast_assets.ingest.assets import episodes, trending_podcasts
from podcast_assets.ingest.checks import episodes_are_well_formed
from podcast_assets_tests.helpers import control, resources_for


def test_episodes_pass_then_a_duplicate_and_a_file_url_in_the_table_fail_the_check(settings):
    control(settings, reset=True)
    resources = resources_for(settings)
    clean = dg.materialize([trending_podcasts, episodes, episodes_are_well_formed], resources=resources)
    [ev] = clean.get_asset_check_evaluations()
    assert ev.passed and ev.metadata["checked"].value == 21 and ev.metadata["failed"].value == 0

    path = settings.delta_path("episodes")
    first = DeltaTable(path).to_pyarrow_table().slice(0, 1)
    hostile = first.set_column(first.schema.get_field_index("episode_id"), "episode_id", pa.array(["99000001"]))
    hostile = hostile.set_column(hostile.schema.get_field_index("audio_url"), "audio_url",
                                 pa.array(["file:///etc/passwd?sig=s3cr3t"]))
    write_deltalake(path, pa.concat_tables([first, hostile]), mode="append")

    broken = dg.materialize([trending_podcasts, episodes, episodes_are_well_formed], resources=resources,
                            raise_on_error=False,
                            selection=dg.AssetSelection.checks(episodes_are_well_formed))
    [ev] = broken.get_asset_check_evaluations()
    examples = ev.metadata["examples"].value
    assert not ev.passed and ev.metadata["checked"].value == 23 and ev.metadata["failed"].value == 2
    assert f"episode {first['episode_id'][0]}: 2 rows" in examples
    assert "episode 99000001: audio URL 'file:///etc/passwd?…' is not http(s)" in examples and "s3cr3t" not in examples
    assert ev.description.startswith("2 of 23 episodes break the contract")
