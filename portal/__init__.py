"""The portal project package, and the app that holds accounts, roles and the page shell."""

from .celery import app as celery_app

__all__ = ("celery_app",)
