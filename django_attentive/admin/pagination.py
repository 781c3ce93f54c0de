"""A changelist paginator that never counts a whole big table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import Model, QuerySet
from django.utils.functional import cached_property

if TYPE_CHECKING:
    _Paginator = Paginator[Model]
else:  # Django's classes take no type parameters at run time
    _Paginator = Paginator

COUNT_CAP = 10_000
# The largest LIMIT/OFFSET SQLite and PostgreSQL accept (a signed 64-bit integer).
MAX_OFFSET = 2**63 - 1


class LargeTablePaginator(_Paginator):
    """Counts at most ``cap + 1`` rows; for a whole PostgreSQL table, trusts the planner's estimate.

    ``estimated`` and ``capped`` tell the pagination template to say "about" or "more than".
    """

    # The admin changelist always hands a paginator a queryset.
    object_list: QuerySet[Model]
    estimated = False
    capped = False
    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not queryset.query.where:
            estimate = _table_estimate(queryset)
            if estimate is not None and estimate > self.cap:
                self.estimated = True
                return estimate
        # COUNT over a LIMITed subquery: the cost stops at cap + 1 rows, whatever the table size.
        counted = queryset.order_by().values("pk")[: self.cap + 1].count()
        if counted > self.cap:
            self.capped = True
        return counted

    def validate_number(self, number: int | float | str) -> int:
        """Past an estimated or capped count, keep paging: an empty page, not an error.

        A page no database could reach (``?p=10000000000000000000000``) is an EmptyPage, which
        the admin answers like any invalid page: a redirect to ``?e=1``.
        """
        self.count  # noqa: B018 - sets estimated / capped
        if not (self.estimated or self.capped):
            return super().validate_number(number)
        try:
            page_number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        if page_number < 1:
            raise EmptyPage("That page number is less than 1")
        if page_number * self.per_page > MAX_OFFSET:
            raise EmptyPage("That page contains no results")
        return page_number

    def page(self, number: int | str) -> Page[Model]:
        page_number = self.validate_number(number)
        if not (self.estimated or self.capped):
            return super().page(page_number)
        bottom = (page_number - 1) * self.per_page
        page: Page[Model] = self._get_page(  # type: ignore[attr-defined]  # stubs omit _get_page
            self.object_list[bottom : bottom + self.per_page], page_number, self
        )
        return page

    def describe_count(self) -> str:
        """The count as the changelist says it: "about 100,000", "more than 10,000", "1,234"."""
        count = self.count
        if self.estimated:
            return f"about {count:,}"
        if self.capped:
            return f"more than {self.cap:,}"
        return f"{count:,}"


def _table_estimate(queryset: QuerySet[Model]) -> int | None:
    """PostgreSQL's row estimate for the table (kept fresh by autovacuum); None elsewhere."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    # reltuples is -1 (PostgreSQL 14+) or 0 before the first ANALYZE.
    return int(row[0]) if row and row[0] > 0 else None
