"""The installed package's version (a source tree that was not installed reads ``0.1.0+source``)."""

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("ccsim")
except PackageNotFoundError:
    VERSION = "0.1.0+source"
