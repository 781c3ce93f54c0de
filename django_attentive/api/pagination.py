"""Cursor pagination, newest first: stable while new texts keep arriving."""

from __future__ import annotations

import re

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

POSITION = re.compile(r"[0-9]{1,18}")
PAGE_SIZE = re.compile(r"[0-9]{1,4}")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class MessageCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        # DRF quietly falls back to the default for a bad value; say so instead.
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        if PAGE_SIZE.fullmatch(raw) and 1 <= int(raw) <= self.max_page_size:
            return int(raw)
        raise ValidationError(
            {
                self.page_size_query_param: [
                    f"Give a whole number from 1 to {self.max_page_size}, "
                    f"or leave it out for {self.page_size}."
                ]
            }
        )

    def decode_cursor(self, request: Request) -> Cursor | None:
        cursor = super().decode_cursor(request)
        # DRF trusts the position inside the cursor; a forged non-number would crash the query.
        if (
            cursor is not None
            and cursor.position is not None
            # str(): the stubs say int, but a decoded cursor holds the query string's text.
            and not POSITION.fullmatch(str(cursor.position))
        ):
            raise NotFound(self.invalid_cursor_message)
        return cursor
