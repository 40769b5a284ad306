"""What the Rasa server loads by module path: the project's extensions of Rasa.

Adapters between Rasa's extension points and the domain in bot/: the dialogue
policy for conversation repair (`policy`), the response generator that never
sends a line with a missing value (`nlg`).
"""
