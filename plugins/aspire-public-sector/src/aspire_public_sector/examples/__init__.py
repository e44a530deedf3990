"""Synthetic example responses, one CSV per instrument of this plugin (see ``_generate.py``)."""
