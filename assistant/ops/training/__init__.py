"""The trainers' loop: labels into nlu_data/, then train, evaluate, and publish without downtime."""
