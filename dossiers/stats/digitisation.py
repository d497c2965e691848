"""Digitisation (số hóa) in the statistics: the share of the documents of the dossiers received
in a period that are electronic parts of the dossier, reused ones counted apart, and the share of
results issued electronically.

- digitised: documents with ``digitised_at`` (scanned at the counter, uploaded, reused);
- exempt: documents not digitised for a reason the rule in force allows (a paper only shown);
- the rate: digitised / (documents − exempt), in percent; None with no document.
"""

import datetime as dt

from django.db.models import Count, Q

from dossiers.models import DossierDocument, DossierResult


def digitisation_figures(*, agency_ids, start: dt.datetime, end: dt.datetime) -> dict:
    documents = DossierDocument.objects.filter(
        dossier__receiving_agency_id__in=list(agency_ids),
        dossier__received_at__gte=start,
        dossier__received_at__lt=end,
        superseded_at__isnull=True,
    ).aggregate(
        documents=Count("pk"),
        digitised=Count("pk", filter=Q(digitised_at__isnull=False)),
        exempt=Count("pk", filter=Q(digitised_at__isnull=True) & ~Q(digitisation_exempt="")),
        reused_store=Count("pk", filter=Q(reuse="store")),
        reused_national=Count("pk", filter=Q(reuse="national")),
    )
    results = DossierResult.objects.filter(
        dossier__receiving_agency_id__in=list(agency_ids),
        dossier__received_at__gte=start,
        dossier__received_at__lt=end,
        status="final",
    ).aggregate(results=Count("pk"), results_electronic=Count("pk", filter=Q(stored__isnull=False)))
    countable = documents["documents"] - documents["exempt"]
    figures = {**documents, **results}
    figures["digitisation_rate"] = round(100 * documents["digitised"] / countable, 1) if countable else None
    figures["electronic_result_rate"] = (
        round(100 * results["results_electronic"] / results["results"], 1) if results["results"] else None
    )
    return figures
