"""Chinese NLU for typed and spoken banking messages: Rasa graph components and the
pure functions behind them (normalization, numerals, time, vocabulary, homophones)."""
