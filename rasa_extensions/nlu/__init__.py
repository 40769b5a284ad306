"""Custom Rasa NLU components of the hotline (referenced by module path in config.yml).

- `bot.nlu.normalizer.HotlineTextNormalizer`: text normalisation, first in the pipeline.
- `bot.nlu.extractor.HotlineEntityExtractor`: numbers (spaCy), patterns, lookups.
- `bot.nlu.lexicon_featurizer.HotlineLexiconFeaturizer`: sentiment/abuse/anger cues.

Importing a component module registers it with Rasa's default recipe.
"""
