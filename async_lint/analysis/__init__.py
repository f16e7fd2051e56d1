"""The analysis layer every check shares: scopes and names, async contexts, and
(later) model/QuerySet inference and the project index."""
