"""Persistence: SQLAlchemy models, engine and demo data."""
