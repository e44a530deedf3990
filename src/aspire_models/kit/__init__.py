"""The plugin kit: everything a plugin author needs besides the hooks themselves.

* :func:`~aspire_models.kit.scaffold.new_plugin` (``aspire new-plugin NAME``) writes a
  complete, installable plugin distribution whose tests pass as generated;
* :func:`~aspire_models.kit.devloop.import_plugins` (``aspire -p MODULE ...``) loads a plugin
  module that is not installed, for the edit-and-run loop;
* :mod:`aspire_models.testing` has the pytest fixtures and :func:`check_plugin` for a
  plugin's own tests.

See the documentation page *The plugin kit*.
"""

from __future__ import annotations

__all__: list[str] = []
