__version__ = "6.10.0rc1"
