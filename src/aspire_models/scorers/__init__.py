"""The built-in scorers. Each is an ordinary :class:`~aspire_models.scoring.Scorer`,
contributed through the ``aspire_scorers`` hook by :mod:`aspire_models.builtins`.
"""
