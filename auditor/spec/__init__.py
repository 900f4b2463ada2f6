"""The national specification as data: controls, checks, lint, tailoring, questionnaire."""
