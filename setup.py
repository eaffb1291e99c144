# The native core is compiled by cffi from src/gocon/_native/_ffi_build.py;
# everything else about the package lives in pyproject.toml.
from setuptools import setup

setup(cffi_modules=["src/gocon/_native/_ffi_build.py:ffi"])
