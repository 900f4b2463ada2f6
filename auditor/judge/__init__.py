"""Stage 3, judge: findings, scores and verdicts of every host, service and site."""
