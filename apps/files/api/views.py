import datetime as dt

from django.http import Http404
from django.utils import timezone
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.audit.services import Actor
from apps.core.parsers import FormParser, JSONParser
from apps.core.rest import MerchantAPIView, created_filter, stripe_list
from apps.core.schema import error_responses, list_of
from apps.files import limits, selectors, services
from apps.files.errors import (
    FileEmpty,
    FileLinkExpiryInvalid,
    FileMissing,
    FilePurposeInvalid,
    FileTooLarge,
    FileTypeMismatch,
    FileTypeUnsupported,
)
from apps.files.models import File, FileLink
from apps.files.outputs import FileLinkOutput, FileOutput
from apps.files.payloads import file_link_to_dict, file_to_dict
from apps.files.responses import file_response
from apps.files.signing import read_token

from .parsers import MultiPartParser
from .serializers import FileCreateInput, FileLinkCreateInput


def _base(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


class FileListView(MerchantAPIView):
    resource = "files"
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("purpose", str, required=False),
            OpenApiParameter("limit", int, required=False),
            OpenApiParameter("starting_after", str, required=False),
            OpenApiParameter("ending_before", str, required=False),
        ],
        responses={200: list_of(FileOutput), **error_responses(FilePurposeInvalid)},
        operation_id="files_list",
    )
    def get(self, request):
        purpose = request.query_params.get("purpose")
        if purpose and purpose not in File.Purpose.values:
            raise FilePurposeInvalid(value=purpose[:64])
        qs = created_filter(
            selectors.file_list(merchant=request.merchant, livemode=request.livemode, purpose=purpose),
            request,
        )
        base = _base(request)
        return stripe_list(request, qs, lambda f: file_to_dict(f, base_url=base), url="/v1/files")

    @extend_schema(
        request={"multipart/form-data": FileCreateInput},
        responses={
            200: FileOutput,
            **error_responses(
                FilePurposeInvalid,
                FileMissing,
                FileEmpty,
                FileTooLarge,
                FileTypeUnsupported,
                FileTypeMismatch,
            ),
        },
        operation_id="files_create",
        description=(
            "Upload a file (multipart/form-data) with purpose=dispute_evidence: PDF, JPEG or PNG, "
            f"recognised by their first bytes, at most {limits.max_file_bytes()} bytes by default (FILES_MAX_BYTES)."
        ),
    )
    def post(self, request):
        serializer = FileCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        file = services.file_create(
            merchant=request.merchant, livemode=request.livemode, upload=data.get("file"),
            purpose=data.get("purpose", ""), title=data.get("title", ""), actor=Actor.from_request(request),
        )  # fmt: skip
        return Response(file_to_dict(file, base_url=_base(request)))


class FileDetailView(MerchantAPIView):
    resource = "files"

    @extend_schema(responses={200: FileOutput, **error_responses()}, operation_id="files_retrieve")
    def get(self, request, file_id: str):
        file = selectors.file_get(merchant=request.merchant, livemode=request.livemode, id=file_id)
        return Response(file_to_dict(file, base_url=_base(request)))


class FileContentsView(MerchantAPIView):
    """Stripe's files.stripe.com/v1/files/{id}/contents: the bytes, with the API key."""

    resource = "files"

    @extend_schema(responses={200: bytes, **error_responses()}, operation_id="files_contents")
    def get(self, request, file_id: str):
        file = selectors.file_get(merchant=request.merchant, livemode=request.livemode, id=file_id)
        return file_response(file)


class FileLinkListView(MerchantAPIView):
    resource = "files"

    @extend_schema(
        parameters=[
            OpenApiParameter("file", str, required=False),
            OpenApiParameter("limit", int, required=False),
        ],
        responses={200: list_of(FileLinkOutput), **error_responses()},
        operation_id="file_links_list",
    )
    def get(self, request):
        qs = selectors.file_link_list(
            merchant=request.merchant, livemode=request.livemode, file=request.query_params.get("file")
        )
        base = _base(request)
        return stripe_list(
            request,
            created_filter(qs, request),
            lambda link: file_link_to_dict(link, base_url=base),
            url="/v1/file_links",
        )

    @extend_schema(
        request=FileLinkCreateInput,
        responses={200: FileLinkOutput, **error_responses(FileLinkExpiryInvalid)},
        operation_id="file_links_create",
    )
    def post(self, request):
        serializer = FileLinkCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        file = selectors.file_get(
            merchant=request.merchant, livemode=request.livemode, id=data["file"], param="file"
        )
        expires = data.get("expires_at")
        link = services.file_link_create(
            merchant=request.merchant, livemode=request.livemode, file=file,
            expires_at=dt.datetime.fromtimestamp(expires, tz=dt.UTC) if expires is not None else None,
            metadata=data.get("metadata"), actor=Actor.from_request(request), now=timezone.now(),
        )  # fmt: skip
        return Response(file_link_to_dict(link, base_url=_base(request)))


class FileLinkDetailView(MerchantAPIView):
    resource = "files"

    @extend_schema(responses={200: FileLinkOutput, **error_responses()}, operation_id="file_links_retrieve")
    def get(self, request, link_id: str):
        link = selectors.file_link_get(merchant=request.merchant, livemode=request.livemode, id=link_id)
        return Response(file_link_to_dict(link, base_url=_base(request)))


@require_GET
def file_download(request, token: str):
    """A signed URL (a file object's `url`, a file link's `url`): no API key, valid until it expires."""
    object_id = read_token(token)
    if object_id is None:
        raise Http404("This download link is invalid or has expired.")
    if object_id.startswith("link_"):
        link = FileLink.objects.select_related("file").filter(public_id=object_id).first()
        if link is None or (link.expires_at is not None and link.expires_at <= timezone.now()):
            raise Http404("This download link is invalid or has expired.")
        return file_response(link.file)
    file = File.objects.filter(public_id=object_id).first()
    if file is None:
        raise Http404("This download link is invalid or has expired.")
    return file_response(file)
