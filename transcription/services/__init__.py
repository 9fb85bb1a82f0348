"""Writes of transcription: intake and storage, the pipeline, stored transcripts, browser
recordings, the sweeper."""
