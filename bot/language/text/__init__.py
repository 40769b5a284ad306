"""Chinese text normalisation for the hotline NLU.

Pure functions, no Rasa dependency. `normalize()` runs every step and keeps a
character alignment to the input, so entity offsets can be carried across.
"""

from bot.language.text.aligned import AlignedText
from bot.language.text.compare import comparison_key
from bot.language.text.normalize import NormalizeOptions, normalize, normalize_text

__all__ = ["AlignedText", "NormalizeOptions", "comparison_key", "normalize",
           "normalize_text"]
