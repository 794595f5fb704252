"""``tierguard serve``: the HTTP API and dashboard over the store (see docs/service.md).

:func:`tierguard.service.app.create_app` builds the FastAPI app from
:class:`tierguard.service.settings.Settings`; FastAPI and uvicorn come with the ``serve`` extra
(``pip install "tierguard[serve]"``), so nothing here is imported unless a server is wanted.
"""
