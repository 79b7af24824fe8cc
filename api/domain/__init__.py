"""The rules: plain functions verb_noun(actor, data) -> model. They flush, never commit."""
