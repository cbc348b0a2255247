"""The ``qndti`` command line: wires settings to the connectors, the streams worker and the local stack."""
