"""The ingest job: trending shows and their episodes, started from the UI, the CLI or the demo."""

import dagster as dg

ingest_job = dg.define_asset_job("ingest_job", selection=dg.AssetSelection.groups("ingest"),
                                 description="Trending shows and one episode each, to Delta, Kafka and MongoDB.")
