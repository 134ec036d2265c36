"""Base layer: settings, money, masking, text normalization, pinyin, tokens, clock, database engine and tables.
Imports nothing else of the project."""
