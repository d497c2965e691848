"""The public verification page ``/verify/``, where anyone uploads a signed PDF and reads the
verdicts. (``/verify/<result code>/``, where a result's stamp QR code leads, is the record of
a dossier result: a page of the dossiers app.)"""

from django.core.exceptions import ValidationError
from django.shortcuts import render

from signing.forms import VerifyForm
from signing.services.verification import pdf_verify


def verify(request):
    form = VerifyForm(request.POST or None, request.FILES or None)
    context = {"form": form, "signatures": None, "error": ""}
    if request.method != "POST":
        return render(request, "signing/verify.html", context)
    if not form.is_valid():
        return render(request, "signing/verify.html", context, status=400)
    try:
        context["signatures"] = pdf_verify(pdf=form.cleaned_data["file"].read())
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render(request, "signing/verify.html", context, status=400)
    context["file_name"] = form.cleaned_data["file"].name
    return render(request, "signing/verify.html", context)
