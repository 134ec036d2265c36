"""Setup steps and the helpers every operation shares: console lines, child processes, content
fingerprints, the database, the search index, the Rasa model. Each step skips itself when its
inputs have not changed since it last ran."""
