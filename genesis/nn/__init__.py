"""Neural-network modules, layers, losses and functional forms (``genesis.nn``)."""
