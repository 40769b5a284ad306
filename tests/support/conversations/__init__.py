"""Conversations written as data (tests/conversations/*.yml), played against the stack.

model.py reads and checks the YAML; players.py plays a turn on a channel (REST, signed
TwiML webhooks, Socket.IO); checks.py holds the expectations and the invariants;
runner.py plays one conversation; report.py prints the table and writes
test-output/conversations.json.
"""
