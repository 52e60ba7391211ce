"""Pydantic models for requests, responses, stored records and queue messages."""
