"""``qndti watch``: a live terminal dashboard of the public ``dti`` views (Textual).

Modules: :mod:`~qndti.watch.rows` (the view rows), :mod:`~qndti.watch.data` (reading them),
:mod:`~qndti.watch.format` (pure formatting), :mod:`~qndti.watch.panels` (the overview's panels),
:mod:`~qndti.watch.screens` and :mod:`~qndti.watch.app`; :mod:`~qndti.watch.scenario` and
:mod:`~qndti.watch.screenshots` make the README's pictures.
"""
