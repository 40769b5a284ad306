"""Every rule of the Chinese language the assistant relies on (pure functions, no I/O).

One package for the NLU components (rasa_extensions/nlu), the forms (actions/forms.py)
and the closing (actions/closing.py) alike:

- `text/`: normalisation (Traditional → Simplified, full → half width, spoken digits,
  whitespace and fillers) with a character alignment to the original;
- `numbers`: phone, order and ticket numbers (entities, answers, read-back groups);
- `names`: surnames, their spoken spellings, titles and how a caller is addressed;
- `ratings`, `timeslots`: satisfaction scores and preferred times in the caller's words;
- `patterns`: addresses, staff names, branches, and the registry of entity finders;
- `lookups`, `spans`: business vocabularies from the training data, entity spans;
- `lexicon` + `lexicons/`: sentiment, abuse, anger and service cues;
- `replies`: how callers skip, correct, confirm or deny an answer.
"""
