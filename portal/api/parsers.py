"""Request parsers of the API: a JSON body must be an object (``{...}``), of bounded depth.

Every endpoint reads named fields from its body; a list or a bare value is answered 400
here instead of failing deep in a view. JSON nested deeper than ``JSON_MAX_DEPTH`` (no
endpoint takes more than a few levels) is refused before anything walks it, and JSON deep
enough to exhaust Python's parser (``RecursionError``) is refused the same way. A multipart
body Django cannot parse (too many files or fields, broken) gets its reason in our words.
"""

import codecs
import json

from django.core.exceptions import SuspiciousOperation
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError

from portal.request_guard import body_error

JSON_MAX_DEPTH = 32


def _too_deep(data, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return False


def _no_constant(value: str):
    raise ValueError(f"{value} is not valid JSON")  # NaN and Infinity, which JSON does not have


def _depth_error() -> ParseError:
    return ParseError(_("Nội dung JSON lồng nhau quá sâu (tối đa %(n)d cấp).") % {"n": JSON_MAX_DEPTH})


class ObjectJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            encoding = parsers.get_encoding(parser_context or {})
        except ParseError:
            raise ParseError(_("Bảng mã (charset) trong tiêu đề Content-Type không được hỗ trợ.")) from None
        try:
            data = json.load(codecs.getreader(encoding)(stream), parse_constant=_no_constant)
        except RecursionError:
            raise _depth_error() from None
        except json.JSONDecodeError as error:
            raise ParseError(
                _("Nội dung JSON không đúng cú pháp (dòng %(line)d, cột %(column)d).")
                % {"line": error.lineno, "column": error.colno}
            ) from None
        except ValueError:  # a bad encoding, NaN/Infinity
            raise ParseError(_("Nội dung JSON không đọc được (sai mã hoá hoặc giá trị không hợp lệ).")) from None
        if not isinstance(data, dict):
            raise ParseError(_("Nội dung JSON phải là một đối tượng {…}."))
        if _too_deep(data, JSON_MAX_DEPTH):
            raise _depth_error()
        return data


class _BodyRefused(APIException):
    def __init__(self, status: int, code: str, message: str):
        self.status_code = status
        super().__init__(message, code)


class PortalMultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as error:
            raise _BodyRefused(*body_error(MultiPartParserError(str(error)))) from None
        except (MultiPartParserError, SuspiciousOperation) as error:
            raise _BodyRefused(*body_error(error)) from None
