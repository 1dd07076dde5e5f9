"""Imports every operator module so that each registers its records."""
from . import elemwise, indexing_op  # noqa: F401
