import pytest

from dossiers.constants import STATUS_CODE, DossierState
from tests.dossiers.factories import DossierDocumentFactory, DossierFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    "trait",
    [
        "draft",
        "received",
        "processing",
        "supplement_requested",
        "payment_requested",
        "refused",
        "withdrawn",
        "stopped",
        "resolved",
        "returned",
    ],
)
def test_each_state_trait_builds_a_consistent_dossier(trait):
    dossier = DossierFactory(**{trait: True})
    assert dossier.state == DossierState(trait)
    assert dossier.status_code == STATUS_CODE[dossier.state]
    assert (dossier.code is None) == (trait == "draft")


@pytest.mark.django_db
def test_document_factory_attaches_a_real_pdf():
    doc = DossierDocumentFactory()
    assert doc.requirement.version_id == doc.dossier.procedure_version_id
    with doc.stored.file.open("rb") as fh:
        assert fh.read(5) == b"%PDF-"
