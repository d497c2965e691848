from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import selectors


class MembershipSerializer(serializers.Serializer):
    agency_code = serializers.CharField(source="agency.code")
    agency_name = serializers.CharField(source="agency.name")
    role = serializers.CharField()


class OrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    tax_code = serializers.CharField()


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    is_officer = serializers.BooleanField()
    officer_memberships = MembershipSerializer(many=True)
    organisations = OrganisationSerializer(many=True)


class MeView(APIView):
    """Who the caller is: identity, organisations and officer roles."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        data = {
            "email": user.email,
            "full_name": user.full_name,
            "is_officer": selectors.user_is_officer(user),
            "officer_memberships": list(selectors.officer_memberships(user=user)),
            "organisations": list(selectors.organisations_for_user(user=user)),
        }
        return Response(MeSerializer(data).data)
