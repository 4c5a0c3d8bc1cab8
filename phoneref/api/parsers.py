from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, with nesting too deep for Python's decoder refused as bad JSON.

    A body of a thousand `[` fits any size limit, yet makes `json` raise RecursionError,
    which DRF does not catch: it would be a server error instead of a 400.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError() from None
