"""Request parsers of the API: a JSON body must be an object (``{...}``).

Every endpoint reads named fields from its body; a list or a bare value is answered 400
here instead of failing deep in a view.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class ObjectJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise ParseError(_("Nội dung JSON phải là một đối tượng {…}."))
        return data
