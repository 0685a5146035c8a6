"""URL converters shared by the pages and the API."""

from werkzeug.routing import IntegerConverter

from .services.validate import MAX_INT


class IdConverter(IntegerConverter):
    """A row id in a URL: a positive integer the databases can hold (a larger one is a 404,
    never an overflow inside the driver)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_INT)
        super().__init__(url_map, *args, **kwargs)
