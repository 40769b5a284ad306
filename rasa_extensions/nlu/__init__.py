"""Custom Rasa NLU components of the hotline (referenced by module path in config.yml).

- `rasa_extensions.nlu.normalizer.HotlineTextNormalizer`: text normalisation, first in the pipeline.
- `rasa_extensions.nlu.extractor.HotlineEntityExtractor`: numbers (spaCy), patterns, lookups.
- `rasa_extensions.nlu.lexicon_featurizer.HotlineLexiconFeaturizer`: sentiment/abuse/anger cues.

Importing a component module registers it with Rasa's default recipe.
"""
