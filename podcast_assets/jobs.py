"""Jobs: the per-episode transcription (what the sensor launches) and the batch stages."""

import dagster as dg

from podcast_assets.assets.transcripts import episode_audio, episode_partitions, transcripts

episode_transcription_job = dg.define_asset_job(
    "episode_transcription_job", selection=[episode_audio, transcripts], partitions_def=episode_partitions,
    description="Download, convert and transcribe one episode (one dynamic partition).")

ingest_job = dg.define_asset_job("ingest_job", selection=dg.AssetSelection.groups("ingest"),
                                 description="Trending shows and one episode each, to Delta, Kafka and MongoDB.")
