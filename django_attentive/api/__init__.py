"""The REST API (Django REST framework): send and track texts from other services.

Mounted by ``django_attentive.urls`` under ``api/messages/``; see docs/api.md.
"""
