"""Real-time risk control on money movement: one decision (allow, step up, hold, block) before any
money leaves a customer's account, from signals on the transfer, the customer's history, recent
security changes and scam words in the conversation, under rules an operator edits without a restart.

- ``types``: the context a decision is made on, its reasons and the decision itself;
- ``scam``: the canonical scam phrases found in a customer message;
- ``rules`` (+ ``rules.yml``): thresholds and outcomes, validated and hot-reloaded;
- ``signals``: one pure function per signal; ``limits``: limits by authentication strength;
- ``engine``: ``decide`` — pure and fast, no database;
- ``context`` / ``store``: the only modules that touch the database (read the context, write the audit).
"""
