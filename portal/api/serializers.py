"""Serializers shared by every API: the one error body, documented once in the schema."""

from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable: invalid, not_found, not_authenticated, throttled…")
    message = serializers.CharField(help_text="A sentence for people, in the language of Accept-Language (vi, en).")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Each bad input (data.full_name, documents[12]…) with its messages.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
    detail = serializers.CharField(help_text="The message again, for clients of DRF's default format.")
