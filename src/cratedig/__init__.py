"""cratedig: turn short-form videos into a music-sample library."""

__version__ = "0.1.0"
