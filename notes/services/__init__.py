"""Writes of notes: requests and the pipeline, review and signing, templates and instructions,
transcript retention."""
