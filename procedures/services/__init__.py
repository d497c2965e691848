"""Writes of the catalogue: procedure versions (draft, publish) and JSON import/export."""

from procedures.services.transfer import (
    CatalogueImportError,
    ImportProblem,
    ImportResult,
    catalogue_export,
    catalogue_export_json,
    catalogue_import,
    catalogue_import_json,
    catalogue_validate_json,
)
from procedures.services.versions import (
    procedure_version_check,
    procedure_version_create_draft,
    procedure_version_publish,
)

__all__ = [
    "CatalogueImportError",
    "ImportProblem",
    "ImportResult",
    "catalogue_export",
    "catalogue_export_json",
    "catalogue_import",
    "catalogue_import_json",
    "catalogue_validate_json",
    "procedure_version_check",
    "procedure_version_create_draft",
    "procedure_version_publish",
]
