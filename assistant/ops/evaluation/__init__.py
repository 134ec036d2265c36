"""Offline evaluations of the NLU model and the search index (make eval-nlu, make eval-search)."""
