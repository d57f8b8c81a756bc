"""Operator tooling: surveyctl, the folding worker, import, demo data, the local stack.

Nothing the services run imports this package.
"""
