"""The service script's dialogue rules that are not training data: conversation repair.

Pure domain code (no Rasa, no I/O). `planner.next_step` says what the assistant does
next when a caller leaves the happy path; `config.RepairConfig` is its configuration
from hotline.yml. The Rasa policy in rasa_extensions/ is the adapter.
"""
