"""Operations layer: the stack supervisor and setup, training and publishing, evaluations, the CLI."""
