"""Risk: rule sets, scores, decisions, reviews and overrides (issue 17)."""
