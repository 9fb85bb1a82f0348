"""The practice-scoped DRF base every API viewset inherits.

The base owns ``get_queryset``, ``get_object`` and permissions. Subclasses set
``queryset`` and may narrow it in ``scope_queryset``; they may not override the
scoping itself (``__init_subclass__`` refuses), except through a method whose
name starts with ``dangerously_``.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404
from rest_framework import permissions, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.metadata import SimpleMetadata
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.views import APIView

from intellisession.access import membership_for
from intellisession.models import Membership, Practice, Role

_OWNED_BY_BASE = ("get_queryset", "get_object", "initial", "get_permissions")


class PracticeMemberPermission(permissions.BasePermission):
    """Members read; admins and clinicians write; ``admin_only`` views need an admin."""

    message = "Read-only members cannot change anything."

    def has_permission(self, request: Request, view: APIView) -> bool:
        membership: Membership = request.membership  # type: ignore[attr-defined]
        if getattr(view, "admin_only", False) and membership.role != Role.ADMIN:
            self.message = "Only a practice admin can do this."
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return membership.can_write


class Pagination(LimitOffsetPagination):
    # Without a ceiling, ?limit=10**21 reaches the database as a LIMIT it cannot hold.
    max_limit = 500


class PracticeMetadata(SimpleMetadata):
    """OPTIONS answers what the view renders and parses, without building serializers per method."""

    def determine_actions(self, request: Request, view: APIView) -> dict[str, Any]:
        return {}


class PracticeScopedViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    permission_classes: ClassVar[list[type[permissions.BasePermission]]] = [  # type: ignore[misc]
        permissions.IsAuthenticated,
        PracticeMemberPermission,
    ]
    admin_only: ClassVar[bool] = False
    lookup_url_kwarg = "pk"
    pagination_class = Pagination
    metadata_class = PracticeMetadata
    # How a row reaches its practice: its own foreign key, unless a subclass names a path to one.
    practice_lookup: ClassVar[str] = "practice"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _OWNED_BY_BASE:
            if name in cls.__dict__:
                raise TypeError(f"{cls.__name__} may not override {name}; narrow scope_queryset instead.")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.perform_authentication(request)
        if request.user.is_authenticated:
            membership = membership_for(request.user, self.kwargs["practice_slug"])  # type: ignore[arg-type]
            # On the Django request, so DRF's copies of this request (OPTIONS builds some) see them too.
            request._request.membership = membership  # type: ignore[attr-defined]
            request._request.practice = membership.practice  # type: ignore[attr-defined]
        super().initial(request, *args, **kwargs)

    @property
    def practice(self) -> Practice:
        return self.request.practice  # type: ignore[attr-defined,no-any-return]

    @property
    def membership(self) -> Membership:
        return self.request.membership  # type: ignore[attr-defined,no-any-return]

    def get_queryset(self) -> QuerySet[Any]:
        base = type(self).queryset
        assert base is not None, f"{type(self).__name__} needs a queryset"
        queryset = base.all().filter(**{self.practice_lookup: self.practice})
        return self.scope_queryset(queryset)

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Narrow the practice's rows further (caseload, status filters)."""
        return queryset

    def get_object(self) -> Model:
        queryset = self.filter_queryset(self.get_queryset())
        try:
            obj = queryset.get(pk=self.kwargs[self.lookup_url_kwarg])
        except (queryset.model.DoesNotExist, DjangoValidationError, ValueError, TypeError, OverflowError):
            raise Http404 from None  # a malformed id names no object, like someone else's
        self.check_object_permissions(self.request, obj)
        return obj

    def query_id(self, name: str) -> uuid.UUID | None:
        """An id filter from the query string (``?client=<uuid>``); a malformed one is a 400."""
        raw = self.request.query_params.get(name)
        if not raw:
            return None
        try:
            return uuid.UUID(raw)
        except ValueError:
            raise ValidationError({name: "Not a valid id."}, code="invalid") from None
