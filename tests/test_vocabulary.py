"""Every domain enum is declared once, in `obcms_platform.vocabulary`: the services store its
values and the gateway offers them as choices, so a value added there reaches the database
check, the API and the forms together, and no service keeps a copy that could drift."""

from __future__ import annotations

import enum
import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType

import sqlalchemy

from obcms_platform import registry, vocabulary

SERVICES = tuple(service.package for service in registry.SERVICES)


def _service_db(service: str) -> ModuleType:
    db = importlib.import_module(f"{service}.db")
    db.load_models()
    return db


def _stored_enums() -> Iterator[tuple[str, type[enum.Enum]]]:
    """(service.table.column, enum class) of every enum-typed column of every service."""
    for service in SERVICES:
        for table in _service_db(service).Base.metadata.tables.values():
            for column in table.columns:
                if isinstance(column.type, sqlalchemy.Enum) and column.type.enum_class:
                    yield f"{service}.{table.name}.{column.name}", column.type.enum_class


def _model_modules() -> Iterator[ModuleType]:
    for service in SERVICES:
        package = importlib.import_module(service)
        for module in pkgutil.walk_packages(package.__path__, f"{service}."):
            if module.name.endswith(".models"):
                yield importlib.import_module(module.name)


def test_every_stored_enum_is_the_vocabularys() -> None:
    stored = dict(_stored_enums())
    assert len(stored) > 20  # the walk found the services' columns (not vacuously green)
    elsewhere = {
        column: f"{enum_class.__module__}.{enum_class.__qualname__}"
        for column, enum_class in stored.items()
        if getattr(vocabulary, enum_class.__name__, None) is not enum_class
    }
    assert elsewhere == {}


def test_no_service_model_module_declares_its_own_enum() -> None:
    modules = list(_model_modules())
    assert len(modules) > 10
    declared = [
        f"{module.__name__}.{name}"
        for module in modules
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, enum.Enum)
        and value.__module__ == module.__name__
    ]
    assert declared == []


# The values DOMAIN.md documents, written out here once: the services' tests compare their
# enums with what their migrated database stores, this compares the enums with the document.
DOCUMENTED: dict[type[enum.Enum], set[str]] = {
    vocabulary.TaskStatus: {"not_started", "in_progress", "at_risk", "completed"},
    vocabulary.TaskPriority: {"low", "medium", "high", "critical"},
    vocabulary.TaskDomain: {
        "general",
        "communities",
        "mana",
        "coordination",
        "monitoring",
        "policy",
        "services",
        "municipal",
        "data",
        "project_central",
    },
    vocabulary.PpaCategory: {"oobc_ppa", "moa_ppa", "obc_request"},
    vocabulary.PpaStatus: {"planning", "ongoing", "completed", "on_hold", "cancelled"},
    vocabulary.PpaPriority: {"low", "medium", "high", "urgent"},
    vocabulary.Sector: {
        "economic",
        "social",
        "infrastructure",
        "environment",
        "governance",
        "peace_security",
    },
    vocabulary.AppropriationClass: {"ps", "mooe", "co"},
    vocabulary.FundingSource: {
        "gaa",
        "block_grant",
        "lgu_counterpart",
        "donor",
        "internal",
        "others",
    },
    vocabulary.ApprovalStatus: {
        "draft",
        "technical_review",
        "budget_review",
        "stakeholder_consultation",
        "executive_approval",
        "approved",
        "enacted",
        "rejected",
    },
}


def test_the_documented_enums_have_the_documented_values_no_more_no_fewer() -> None:
    wrong = {
        documented.__name__: sorted({member.value for member in documented} ^ values)
        for documented, values in DOCUMENTED.items()
        if {member.value for member in documented} != values
    }
    assert wrong == {}
