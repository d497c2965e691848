"""The public record of an issued result, ``/verify/<result code>/``, where its stamp's QR code
leads: agency, signer, date and SHA-256 of the file, to compare a copy against. (Checking the
signatures of any PDF, ``/verify/``, is the signing app's page.)"""

from django.shortcuts import render
from django.urls import path

from dossiers.selectors import result_record


def verify_code(request, code: str):
    record = result_record(code=code)
    if record is None:
        return render(request, "signing/verify_code.html", {"record": None, "code": code}, status=404)
    return render(request, "signing/verify_code.html", {"record": record, "code": code})


urlpatterns = [
    path("verify/<str:code>/", verify_code, name="verify_code"),
]
