"""Store failures a responder can act on: each names the file and what to do."""


class StoreError(Exception):
    pass
