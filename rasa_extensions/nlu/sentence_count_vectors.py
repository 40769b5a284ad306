"""Rasa component: CountVectorsFeaturizer that gives the message text sentence features only.

Rasa's featurizer counts the text twice per message: once per token (sequence features,
for DIET and TED) and once for the whole text (sentence features). This pipeline's
readers, the linear classifier and the malicious gate, read the sentence features
alone (`rasa_extensions.nlu.classifier.sentence_blocks`), and its policies featurize no
text. The per-token count was half of the featurizer's time, about 3 % of a loaded
replica (docs/BENCHMARKS.md, "Capacity"). Same vocabulary, same sentence features;
other attributes are featurized as Rasa does.

`ignored_tokens` (a regular expression) drops whole tokens from the message text before
counting. config.yml drops exclamation marks from the character n-grams: in the
hand-written training data they came almost only with anger, so on real text
`我非常喜欢！` read as angry (docs/BENCHMARKS.md, "exclamation marks"). How loud a
message is stays a lexicon feature, beside its sentiment.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Optional

import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import TEXT


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """Token or character n-gram counts of the whole message text, as one sentence row."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**CountVectorsFeaturizer.get_default_config(), "ignored_tokens": None}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        super().validate_config(config)
        pattern = config.get("ignored_tokens")
        if pattern is not None:
            try:
                _compiled(str(pattern))
            except re.error as error:
                raise ValueError(f"ignored_tokens is no regular expression: {pattern!r} "
                                 f"({error})") from error

    def _process_tokens(self, tokens: list[str], attribute: str = TEXT) -> list[str]:
        tokens = super()._process_tokens(tokens, attribute)
        pattern = self._config.get("ignored_tokens")
        if not pattern or attribute != TEXT:
            return tokens
        ignored = _compiled(pattern)
        return [t for t in tokens if not ignored.fullmatch(t)]

    def _create_features(
        self, attribute: str, all_tokens: list[list[str]]
    ) -> tuple[list[Optional[scipy.sparse.spmatrix]], list[Optional[scipy.sparse.spmatrix]]]:
        if attribute != TEXT or not self.vectorizers.get(attribute):
            return super()._create_features(attribute, all_tokens)
        sentences: list[Optional[scipy.sparse.spmatrix]] = []
        for tokens in all_tokens:
            if not tokens:
                sentences.append(None)
                continue
            # as Rasa builds the sentence row: the tokens joined by spaces
            row = self.vectorizers[attribute].transform([" ".join(tokens)])
            row.sort_indices()
            sentences.append(row.tocoo())
        return [None] * len(all_tokens), sentences


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
