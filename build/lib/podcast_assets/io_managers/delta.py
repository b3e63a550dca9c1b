"""The Delta IO manager: dagster-deltalake with pandas, tables at ``DATA_DIR/delta/<asset>``."""

from __future__ import annotations

from dagster_deltalake import LocalConfig
from dagster_deltalake_pandas import DeltaLakePandasIOManager

from podcast_assets.settings import Settings


def delta_io_manager(settings: Settings) -> DeltaLakePandasIOManager:
    # root_uri + schema "delta" puts every table at DATA_DIR/delta/<asset name>, the layout the
    # direct readers (DeltaTables) and the CLI share.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return DeltaLakePandasIOManager(root_uri=str(settings.data_dir), schema="delta",
                                    storage_options=LocalConfig())
