"""One module per dialect: connection setup, value codecs, error translation."""
