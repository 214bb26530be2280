"""Multi-query façade operations, one module per domain, registered in `registry.py`, driven by `driver.py`."""
