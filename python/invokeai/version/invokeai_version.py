__version__ = "6.15.0rc1"
