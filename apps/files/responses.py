"""A stored file as an HTTP download (the API's contents, the signed URLs, the back office)."""

from django.http import FileResponse

from . import limits
from .models import File
from .services import file_open


def file_response(file: File) -> FileResponse:
    response = FileResponse(
        file_open(file),
        content_type=limits.CONTENT_TYPES[file.type],
        as_attachment=True,
        filename=file.filename,
    )
    response["Cache-Control"] = "private, no-store"
    # Never rendered in our origin: a hostile PDF or image cannot script the site.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
