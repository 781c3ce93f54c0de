"""Cursor pagination, newest first: stable while new texts keep arriving."""

from __future__ import annotations

import re

from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

POSITION = re.compile(r"[0-9]{1,18}")


class MessageCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request: Request) -> Cursor | None:
        cursor = super().decode_cursor(request)
        # DRF trusts the position inside the cursor; a forged non-number would crash the query.
        if (
            cursor is not None
            and cursor.position is not None
            and not POSITION.fullmatch(cursor.position)
        ):
            raise NotFound(self.invalid_cursor_message)
        return cursor
