"""Django's ORM vocabulary, declared once in ``rules/`` and read here by
every module that needs it (the per-file inference, the model skeletons and
the checks): model, manager and QuerySet classes, lazy and querying methods,
relation fields.

Which QuerySet, related-manager and model methods run a query comes from the
twin table (``django_async_twins.toml``): a sync method is there exactly
because it has (or will have) an async twin.
"""

from __future__ import annotations

from async_lint.catalog import load_table


def _orm() -> dict:
    return load_table("django_objects")


def _twin_names(kind: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for row in load_table("django_async_twins").get("twin", []):
        if row["kind"] == kind:
            names.update(row["names"])
    return names


_TABLE = _orm()

MODEL_BASES = frozenset(_TABLE["model_bases"])
NON_ORM_MODEL_BASES = frozenset(_TABLE["non_orm_model_bases"])
DRF_MODEL_SERIALIZERS = frozenset(_TABLE["model_serializers"])
MODEL_FACTORIES = frozenset(_TABLE["model_factories"])
USER_MODEL_SETTING: str = _TABLE["user_model_setting"]
DEFAULT_MANAGERS = frozenset(_TABLE["default_managers"])
MANAGER_CLASSES = frozenset(_TABLE["manager_classes"])
QUERYSET_CLASSES = frozenset(_TABLE["queryset_classes"])
FILE_FIELDS = frozenset(_TABLE["file_fields"])
# What a file field of a model instance is (rules/receiver_types.toml).
FIELD_FILE_TYPE = "django.db.models.fields.files.FieldFile"
# Django manager class -> {its own query method: ["django", twin kind]}, the
# entry a project manager deriving from it gets in the model table.
DJANGO_MANAGER_METHODS: dict[str, dict[str, list[str]]] = {cls: {name: ["django", "user_manager"] for name in names} for cls, names in _TABLE["manager_methods"].items()}
REQUEST_CLASSES = frozenset(_TABLE["request_classes"])
LAZY_METHODS = frozenset(_TABLE["lazy_methods"])
ROW_METHODS = frozenset(_TABLE["row_methods"])
INSTANCE_METHODS = frozenset(_TABLE["instance_methods"])
PAIR_METHODS = frozenset(_TABLE["pair_methods"])
RELATION_FIELDS: dict[str, str] = dict(_TABLE["relation_fields"])
# qualified callable -> (argument positions, keywords) that receive a query
# function whose QuerySet the framework evaluates in a thread.
QUERYSET_CONSUMERS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    name: (tuple(row.get("positions", ())), tuple(row.get("keywords", ()))) for row in _TABLE.get("queryset_consumer", []) for name in row["callables"]
}

# A word each consumer's name puts in the text of a file that calls it: the
# class of a method (``ModelAsyncEndpointFactory`` for its ``list``), else the
# function's own name; whichever way it is imported, that word is written.
QUERYSET_CONSUMER_WORDS = frozenset(parts[-2] if len(parts) > 1 and parts[-2][:1].isupper() else parts[-1] for parts in (name.split(".") for name in QUERYSET_CONSUMERS))

QUERYSET_TWINS = _twin_names("queryset")
RELATED_TWINS = _twin_names("related")
MODEL_TWINS = _twin_names("model")
USER_TWINS = _twin_names("user")

# Sync QuerySet/Manager methods that run a query (``iterator`` only once iterated).
EVALUATING_METHODS = frozenset(name for name in QUERYSET_TWINS if name != "iterator")
# Related managers add these (and proxy the QuerySet ones).
RELATED_EVALUATING_METHODS = frozenset(RELATED_TWINS) - EVALUATING_METHODS
# Awaiting one of these gives a model instance, or an (instance, created) pair.
ASYNC_INSTANCE_METHODS = frozenset(QUERYSET_TWINS[name] for name in INSTANCE_METHODS)
ASYNC_PAIR_METHODS = frozenset(QUERYSET_TWINS[name] for name in PAIR_METHODS)


# Django's user model bases: a model deriving from one is a user model (its
# password and permission methods are DJA206's).
USER_BASES = frozenset(
    {
        "django.contrib.auth.models.AbstractUser",
        "django.contrib.auth.models.AbstractBaseUser",
        "django.contrib.auth.base_user.AbstractBaseUser",
        "django.contrib.auth.models.PermissionsMixin",
        "django.contrib.auth.models.User",
    }
)
