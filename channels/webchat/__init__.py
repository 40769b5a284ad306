"""Web chat channel: Socket.IO input channel plus the embeddable chat widget.

See docs/WEBCHAT.md. Rasa loads `channels.webchat.channel.HotlineSocketIOInput`
from credentials.yml.
"""
