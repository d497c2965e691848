"""The public verification pages: ``/verify/``, where anyone uploads a signed PDF and reads the
verdicts, and ``/verify/<result code>/``, where the stamp's QR code leads: the record of the
issued result (agency, signer, date, SHA-256 of the file) to compare a copy against."""

from django.core.exceptions import ValidationError
from django.shortcuts import render

from signing.forms import VerifyForm
from signing.selectors import result_record
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


def verify_code(request, code: str):
    record = result_record(code=code)
    if record is None:
        return render(request, "signing/verify_code.html", {"record": None, "code": code}, status=404)
    return render(request, "signing/verify_code.html", {"record": record, "code": code})
