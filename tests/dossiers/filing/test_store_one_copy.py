"""One copy of a file per owner in the document store (issue 19), whichever door it comes by.

The API's one-shot filing, counter scans and two requests at the same moment all end with one
entry and one file for the same bytes of the same owner; different owners never share one; the
migration merges the duplicates the store held before the rule.
"""

import hashlib
import importlib
import io
import os
import threading
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from pypdf import PdfWriter

from dossiers import services
from dossiers.constants import DocumentSource, PreviewState
from dossiers.core import machine
from dossiers.models import DocumentPreview, Dossier, DossierDocument, StoredDocument
from dossiers.services import documents
from portal.constants import OfficerRole
from signing.models import UploadVerification
from tests.dossiers.factories import DossierFactory, OnlineVersionFactory
from tests.factories import (
    AgencyFactory,
    CitizenProfileFactory,
    OfficerMembershipFactory,
    OrganisationFactory,
    OrganisationMembershipFactory,
    UserFactory,
)
from tests.procedures.factories import DocumentRequirementFactory, ProcedureFactory

MIGRATION = importlib.import_module("dossiers.migrations.0026_stored_document_one_copy_per_owner")


def fresh_pdf(pages: int = 2) -> bytes:
    """A PDF no other test has written: the storage folder is shared by the whole run."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": uuid.uuid4().hex})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def files_of(sha256: str, name: str) -> list[str]:
    """The files in storage holding these bytes, in the folder of ``name``."""
    folder = os.path.dirname(name)
    return [f for f in default_storage.listdir(folder)[1] if f.startswith(sha256)]


def inspected_of(content: bytes, name: str = "to-khai.pdf") -> documents.InspectedFile:
    return documents.InspectedFile(
        name=name,
        mime_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


# --- the API's one-shot filing ------------------------------------------------------------


@pytest.fixture
def version(db):
    version = OnlineVersionFactory()
    DocumentRequirementFactory(version=version, name="Giấy chứng sinh", required=True, order=2)
    return version


def file_once(user, version, content, other=None, **extra):
    tokhai, chungsinh = version.documents.order_by("order", "pk")
    dossier, _pin, created = services.dossier_file(
        user=user,
        procedure_code=version.procedure.code,
        data={"full_name": "Trần Thị Nộp"},
        files={tokhai.pk: ("to-khai.pdf", content), chungsinh.pk: ("chung-sinh.pdf", other or fresh_pdf(3))},
        **extra,
    )
    assert created
    return dossier


@pytest.mark.django_db
def test_the_api_filing_twice_with_the_same_file_keeps_one_copy(version):
    applicant = UserFactory()
    content, other = fresh_pdf(2), fresh_pdf(3)
    first = file_once(applicant, version, content, other=other)
    second = file_once(applicant, version, content, other=other)
    assert first.pk != second.pk
    one = StoredDocument.objects.get(owner=applicant, sha256=hashlib.sha256(content).hexdigest())
    assert set(DossierDocument.objects.filter(stored=one).values_list("dossier_id", flat=True)) == {first.pk, second.pk}
    # Each file of the two dossiers is in the store once, and in storage once.
    assert StoredDocument.objects.filter(owner=applicant).count() == 2
    assert files_of(one.sha256, one.file.name) == [os.path.basename(one.file.name)]
    # The wizard's upload of the same bytes reuses the API's entry.
    draft = services.dossier_draft_create(user=applicant, procedure_code=version.procedure.code)
    tokhai = version.documents.order_by("order", "pk").first()
    attached = services.dossier_document_upload(
        user=applicant, dossier=draft, requirement_id=tokhai.pk, name="lai.pdf", content=content
    )
    assert attached.stored_id == one.pk


@pytest.mark.django_db
def test_the_same_bytes_for_two_components_of_one_api_filing_are_one_entry(version):
    applicant = UserFactory()
    content = fresh_pdf(2)
    dossier = file_once(applicant, version, content, other=content)
    assert dossier.documents.count() == 2
    assert len({d.stored_id for d in dossier.documents.all()}) == 1
    assert StoredDocument.objects.filter(owner=applicant).count() == 1


@pytest.mark.django_db
def test_owners_never_share_an_entry_in_the_api_filing(version):
    """Another person, and the same person filing for an organisation, each have their own copy."""
    content = fresh_pdf(2)
    applicant, stranger = UserFactory(), UserFactory()
    version.for_organisations = True
    version.save(update_fields=["for_organisations"])
    organisation = OrganisationFactory()
    OrganisationMembershipFactory(user=applicant, organisation=organisation)
    mine = file_once(applicant, version, content)
    theirs = file_once(stranger, version, content)
    for_company = file_once(applicant, version, content, organisation_id=organisation.pk)

    def entry(dossier):
        return dossier.documents.get(stored__sha256=hashlib.sha256(content).hexdigest()).stored

    entries = [entry(mine), entry(theirs), entry(for_company)]
    assert len({e.pk for e in entries}) == 3
    assert len({e.file.name for e in entries}) == 3
    assert [(e.owner_id, e.organisation_id) for e in entries] == [
        (applicant.pk, None),
        (stranger.pk, None),
        (applicant.pk, organisation.pk),
    ]


@pytest.mark.django_db
def test_a_refused_api_filing_leaves_the_reused_entry_and_its_file(version, monkeypatch):
    """A filing that fails in its transaction deletes the files it wrote, never the file of an
    entry the store already held."""
    applicant = UserFactory()
    content = fresh_pdf(2)
    first = file_once(applicant, version, content)
    kept = first.documents.get(stored__sha256=hashlib.sha256(content).hexdigest()).stored

    def broken_event(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(machine, "event_append", broken_event)
    new = fresh_pdf(4)
    with pytest.raises(RuntimeError):
        file_once(applicant, version, content, other=new)
    assert default_storage.exists(kept.file.name)
    assert StoredDocument.objects.filter(owner=applicant).count() == 2
    new_sha = hashlib.sha256(new).hexdigest()
    assert not StoredDocument.objects.filter(sha256=new_sha).exists()
    assert files_of(new_sha, kept.file.name) == []


# --- counter scans -------------------------------------------------------------------------


@pytest.fixture
def desk(db):
    agency = AgencyFactory()
    version = OnlineVersionFactory(procedure=ProcedureFactory(agencies=[agency]))
    officer = OfficerMembershipFactory(role=OfficerRole.RECEPTION, agency=agency).user
    return officer, agency, version


def scan_in(desk, applicant: dict, content: bytes) -> Dossier:
    officer, agency, version = desk
    return services.dossier_counter_intake(
        officer=officer,
        agency_id=agency.pk,
        procedure_code=version.procedure.code,
        channel="counter",
        applicant={"phone": "0912345678", "address": "12 Lê Lợi", **applicant},
        form_data={"full_name": applicant["full_name"]},
        documents=[(version.documents.get(required=True).pk, "quet.pdf", content)],
        note="",
    )


@pytest.mark.django_db
def test_a_paper_scanned_twice_for_the_same_applicant_is_one_copy_of_the_applicants(desk):
    profile = CitizenProfileFactory(email="")
    content = fresh_pdf(2)
    who = {"full_name": profile.full_name, "citizen_id": profile.citizen_id}
    first, second = scan_in(desk, who, content), scan_in(desk, who, content)
    [one] = StoredDocument.objects.filter(sha256=hashlib.sha256(content).hexdigest())
    assert (one.owner_id, one.source) == (profile.user_id, DocumentSource.SCAN)
    assert {first.documents.get().stored_id, second.documents.get().stored_id} == {one.pk}
    assert files_of(one.sha256, one.file.name) == [os.path.basename(one.file.name)]
    # Another applicant's identical paper is that applicant's own copy.
    other = CitizenProfileFactory(email="")
    third = scan_in(desk, {"full_name": other.full_name, "citizen_id": other.citizen_id}, content)
    assert third.documents.get().stored.owner_id == other.user_id
    assert StoredDocument.objects.filter(sha256=one.sha256).count() == 2


@pytest.mark.django_db
def test_scans_of_walk_ins_without_an_account_are_the_officers_kept_once(desk):
    """No account to own the scan: the officer who scanned it owns it, once per file."""
    officer, *_ = desk
    content = fresh_pdf(2)
    first = scan_in(desk, {"full_name": "Trần Thị Quầy", "citizen_id": "001090123456"}, content)
    second = scan_in(desk, {"full_name": "Lê Văn Khác", "citizen_id": "001090654321"}, content)
    assert first.documents.get().stored_id == second.documents.get().stored_id
    assert StoredDocument.objects.get(sha256=hashlib.sha256(content).hexdigest()).owner_id == officer.pk


@pytest.mark.django_db
def test_a_file_uploaded_then_scanned_for_the_same_owner_is_one_copy(desk):
    """Uploads and scans share the rule: the entry already there (upload) serves the scan."""
    profile = CitizenProfileFactory(email="")
    content = fresh_pdf(2)
    uploaded = documents.stored_document_get_or_store(inspected=inspected_of(content), owner=profile.user)
    dossier = scan_in(desk, {"full_name": profile.full_name, "citizen_id": profile.citizen_id}, content)
    assert dossier.documents.get().stored_id == uploaded.pk


# --- the rule itself -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_refuses_a_second_copy_for_the_same_owner():
    owner = UserFactory()
    content = fresh_pdf(2)
    first = documents.stored_document_get_or_store(inspected=inspected_of(content), owner=owner)
    twin = documents.stored_document_build(inspected=inspected_of(content), owner=owner)
    try:
        with pytest.raises(IntegrityError), transaction.atomic():
            twin.save()
    finally:
        documents.stored_files_discard([twin])
    # The losing writer's entry becomes the one kept, its own file gone.
    twin = documents.stored_document_build(inspected=inspected_of(content), owner=owner)
    assert documents.stored_documents_keep({twin.sha256: twin})[twin.sha256].pk == first.pk
    assert not default_storage.exists(twin.file.name) and default_storage.exists(first.file.name)
    # Generated documents (results, e-receipts) are not concerned: they are signed in place.
    documents.stored_document_create(inspected=inspected_of(content), owner=owner, source=DocumentSource.RESULT)
    documents.stored_document_create(inspected=inspected_of(content), owner=owner, source=DocumentSource.RESULT)
    assert StoredDocument.objects.filter(owner=owner, sha256=first.sha256).count() == 3
    with pytest.raises(ValueError, match="not kept once"):
        documents.stored_documents_prepare(
            files=[(inspected_of(content), "")], owner=owner, source=DocumentSource.RESULT
        )


# --- two requests at the same moment --------------------------------------------------------


def race(monkeypatch, calls):
    """Run ``calls`` in threads that all pass the store's look-up and write their file before any
    inserts its row (a barrier in `stored_document_build`); returns their results or errors."""
    barrier = threading.Barrier(len(calls), timeout=30)
    real_build = documents.stored_document_build

    def build(**kwargs):
        doc = real_build(**kwargs)
        barrier.wait()
        return doc

    monkeypatch.setattr(documents, "stored_document_build", build)
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            results[index] = call()
        except BaseException as error:  # noqa: BLE001 (reported to the test)
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_uploads_of_the_same_file_at_once_end_with_one_entry_and_one_file(monkeypatch):
    version = OnlineVersionFactory()
    applicant = UserFactory()
    tokhai = version.documents.get()
    drafts = [services.dossier_draft_create(user=applicant, procedure_code=version.procedure.code) for _ in range(2)]
    content = fresh_pdf(2)
    results = race(
        monkeypatch,
        [
            lambda d=draft: services.dossier_document_upload(
                user=applicant, dossier=d, requirement_id=tokhai.pk, name="to-khai.pdf", content=content
            )
            for draft in drafts
        ],
    )
    assert all(isinstance(r, DossierDocument) for r in results), results
    [one] = StoredDocument.objects.filter(owner=applicant)
    assert {r.stored_id for r in results} == {one.pk}
    assert DossierDocument.objects.filter(stored=one).count() == 2
    assert files_of(one.sha256, one.file.name) == [os.path.basename(one.file.name)]


@pytest.mark.django_db(transaction=True)
def test_two_api_filings_of_the_same_files_at_once_end_with_one_entry_each(monkeypatch):
    """Two one-shot filings racing on the same two files: one entry and one file per file, and
    neither request fails (the entries are inserted in hash order, so neither waits crosswise)."""
    version = OnlineVersionFactory()
    DocumentRequirementFactory(version=version, name="Giấy chứng sinh", required=True, order=2)
    applicant = UserFactory()
    a, b = fresh_pdf(2), fresh_pdf(3)
    tokhai, chungsinh = version.documents.order_by("order", "pk")

    def file_both(first, second):
        return services.dossier_file(
            user=applicant,
            procedure_code=version.procedure.code,
            data={"full_name": "Trần Thị Nộp"},
            files={tokhai.pk: ("a.pdf", first), chungsinh.pk: ("b.pdf", second)},
        )

    # The two requests meet once each has looked its files up in the store and written one.
    barrier = threading.Barrier(2, timeout=30)
    real_build = documents.stored_document_build

    def build(**kwargs):
        doc = real_build(**kwargs)
        if kwargs["inspected"].content == b:  # each request has looked its files up, and writes b
            barrier.wait()
        return doc

    monkeypatch.setattr(documents, "stored_document_build", build)
    results: list = [None, None]

    def run(index, args):
        try:
            results[index] = file_both(*args)
        except BaseException as error:  # noqa: BLE001 (reported to the test)
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(0, (a, b))), threading.Thread(target=run, args=(1, (b, a)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(isinstance(r, tuple) and r[2] for r in results), results
    entries = StoredDocument.objects.filter(owner=applicant)
    assert entries.count() == 2
    for entry in entries:
        assert files_of(entry.sha256, entry.file.name) == [os.path.basename(entry.file.name)]
        assert DossierDocument.objects.filter(stored=entry).count() == 2


@pytest.mark.django_db(transaction=True)
def test_different_owners_storing_the_same_bytes_at_once_keep_their_own_copies(monkeypatch):
    owners = [UserFactory(), UserFactory()]
    content = fresh_pdf(2)
    results = race(
        monkeypatch,
        [
            lambda o=owner: documents.stored_document_get_or_store(inspected=inspected_of(content), owner=o)
            for owner in owners
        ],
    )
    assert all(isinstance(r, StoredDocument) for r in results), results
    assert StoredDocument.objects.filter(sha256=hashlib.sha256(content).hexdigest()).count() == 2
    assert sorted(r.owner_id for r in results) == sorted(o.pk for o in owners)
    assert all(default_storage.exists(r.file.name) for r in results)


# --- the migration that merges the duplicates ------------------------------------------------


def test_the_merge_covers_every_relation_of_a_stored_document():
    """The migration repoints whatever points at a stored document: a new relation is either one
    it handles (a foreign key, a one-to-one) or this test fails."""
    kinds = {
        (r.related_model._meta.label, r.field.name, "one" if r.one_to_one else "many")
        for r in StoredDocument._meta.related_objects
    }
    assert not any(r.many_to_many for r in StoredDocument._meta.related_objects)
    assert {
        ("dossiers.DossierDocument", "stored", "many"),
        ("dossiers.DocumentPreview", "stored", "one"),
        ("signing.UploadVerification", "stored_document", "one"),
    } <= kinds


def duplicate(owner, content: bytes, **fields) -> StoredDocument:
    return StoredDocument.objects.create(
        owner=owner,
        name="to-khai.pdf",
        mime_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        file=ContentFile(content, name="to-khai.pdf"),
        created_at=timezone.now(),
        **fields,
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_merges_duplicates_then_adds_the_rule():
    executor = MigrationExecutor(connection)
    executor.migrate([("dossiers", "0025_index_national_list_digitisation_online")])
    owner, other = UserFactory(), UserFactory()
    content = fresh_pdf(2)
    kept, twin, scanned = (
        duplicate(owner, content),
        duplicate(owner, content),
        duplicate(owner, content, source=DocumentSource.SCAN),
    )
    theirs = duplicate(other, content)  # another owner's: left alone
    result = duplicate(owner, content, source=DocumentSource.RESULT)  # generated: left alone
    dossier_a, dossier_b = DossierFactory(applicant=owner), DossierFactory(applicant=owner)
    uses = [
        DossierDocument.objects.create(dossier=dossier_a, component_name="Tờ khai", stored=kept),
        DossierDocument.objects.create(dossier=dossier_b, component_name="Tờ khai", stored=twin),
        DossierDocument.objects.create(dossier=dossier_b, component_name="Bản quét", stored=scanned),
    ]
    now = timezone.now()
    default_storage.save("previews/kept-1.png", ContentFile(b"kept"))
    twin_page = default_storage.save("previews/twin-1.png", ContentFile(b"twin"))
    DocumentPreview.objects.create(
        stored=kept, state=PreviewState.READY, pages=["previews/kept-1.png"], requested_at=now
    )
    DocumentPreview.objects.create(stored=twin, state=PreviewState.READY, pages=[twin_page], requested_at=now)
    UploadVerification.objects.create(stored_document=scanned, sha256=scanned.sha256, verdict="valid", checked_at=now)
    gone_files = [twin.file.name, scanned.file.name]

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert set(StoredDocument.objects.filter(sha256=kept.sha256).values_list("pk", flat=True)) == {
        kept.pk,
        theirs.pk,
        result.pk,
    }
    assert {DossierDocument.objects.get(pk=u.pk).stored_id for u in uses} == {kept.pk}
    assert DocumentPreview.objects.get().stored_id == kept.pk  # the kept entry's own preview
    assert UploadVerification.objects.get().stored_document_id == kept.pk  # moved from the scan
    assert not any(default_storage.exists(name) for name in [*gone_files, twin_page])
    assert all(default_storage.exists(e.file.name) for e in (kept, theirs, result))
    # The rule now holds in the database.
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate(owner, content)
