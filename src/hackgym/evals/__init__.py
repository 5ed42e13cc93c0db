"""Misalignment evaluations as Inspect AI tasks (the study suite), pinned cached judges, scores."""
