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
