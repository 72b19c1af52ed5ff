"""Prefect task wrappers of the audit (re-deriving reads only; the alert is one transaction)."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.audit import records
from tasks.audit.rules import AuditResult


@task(name="audit-year", cache_policy=NO_CACHE)
def audit_year_task(year: int) -> AuditResult:
    return records.audit_year(year)


@task(name="audit-tell-operator", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def tell_operator_task(result: AuditResult, today: date) -> int | None:
    return records.tell_operator(result, today=today)
