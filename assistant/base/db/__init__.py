"""Persistence: the SQLAlchemy engine and every table of the application database."""
