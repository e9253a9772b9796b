"""Modules built by `cellgen build specs/*.cell`; do not edit them, rebuild them."""
