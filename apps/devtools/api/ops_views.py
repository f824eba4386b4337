"""`GET /v1/diagnostics` and `GET /v1/pci/attestation` (secret keys; a restricted key needs the
`diagnostics` / `pci` read scope)."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from apps.core.rest import MerchantAPIView
from apps.core.schema import error_responses
from apps.devtools.operations import diagnostics, pci_attestation
from apps.devtools.outputs import DiagnosticsOutput, PciAttestationOutput


class DiagnosticsView(MerchantAPIView):
    resource = "diagnostics"

    @extend_schema(
        responses={200: DiagnosticsOutput, **error_responses()}, operation_id="diagnostics_retrieve"
    )
    def get(self, request):
        return Response(diagnostics(merchant=request.merchant, livemode=request.livemode))


class PciAttestationView(MerchantAPIView):
    resource = "pci"

    @extend_schema(
        responses={200: PciAttestationOutput, **error_responses()}, operation_id="pci_attestation_retrieve"
    )
    def get(self, request):
        return Response(pci_attestation(merchant=request.merchant, livemode=request.livemode))
