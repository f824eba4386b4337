"""multipart/form-data for uploads, with the same refusal of text the database cannot hold as
the API's other parsers (apps/core/parsers.py)."""

from rest_framework import parsers

from apps.core.errors import ParameterInvalid
from apps.core.text import find_unsafe, printable, unsafe_message


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        for key, values in result.data.lists():
            if find_unsafe([key, *values]) is not None:
                param = printable(key)
                raise ParameterInvalid(unsafe_message(param), param=param)
        return result
